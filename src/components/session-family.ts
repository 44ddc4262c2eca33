// A private feed per browser session (live.family): the component joins "<prefix>:<session id>"
// when wanted(props) says so, and only the pages of that session may read it (checked at open
// and at every token renewal). The page must have a session (fastify.sessions.ensure).
import type { Static, TObject } from '@sinclair/typebox'
import type { LiveFamilyOptions } from './define.js'

export function sessionFamily<P extends TObject> (prefix: string, wanted: (props: Static<P>) => boolean): LiveFamilyOptions<P> {
  return {
    prefix,
    key (props, { app, request }) {
      if (!wanted(props)) return undefined
      const session = request === undefined ? undefined : app.sessions.current(request)
      if (session === undefined) throw new Error(`The private feed "${prefix}" needs a browser session: call fastify.sessions.ensure(request, reply) before rendering the page`)
      return session
    },
    authorize: (session, request) => request.server.sessions.current(request) === session
  }
}
