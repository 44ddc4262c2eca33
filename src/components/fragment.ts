// reply.fragment(): a component sent as an htmx fragment. The page lists the components whose
// assets it has in the FLC-Components header (src/public/flc.js); assets it lacks come in an
// HX-Trigger event that flc.js turns into <link>/<script> tags. A request without htmx gets the
// tags inline, so a fragment opened on its own still has its CSS and JS.
import type { FastifyReply } from 'fastify'
import type { Static, TObject } from '@sinclair/typebox'
import type { Component } from './define.js'
import { assetsOf, assetTags, parseLoadedComponents } from './assets.js'

/** A component, or its registered name (then the props are checked at render time only). */
export type FragmentTarget<P extends TObject> = Component<P> | string

export async function sendFragment<P extends TObject> (reply: FastifyReply, target: FragmentTarget<P>, props: Static<P> | object): Promise<FastifyReply> {
  const { request } = reply
  const name = typeof target === 'string' ? target : target.name
  // These props come from the request: if they fail the component's schema, that is the
  // client's mistake (400); a bad prop deeper down stays a server error.
  const { html, used } = await request.server.components.render(name, props, request, 400)
  const isHtmx = request.headers['hx-request'] === 'true'
  const loaded = parseLoadedComponents(request.headers['flc-components'])
  const missing = used.filter((c) => !loaded.has(c.name) && (c.css.length > 0 || c.js.length > 0))
  reply.type('text/html; charset=utf-8').header('Vary', 'HX-Request, FLC-Components')
  if (missing.length === 0) return await reply.send(html)
  if (isHtmx) {
    const components = missing.map((c) => ({ name: c.name, ...assetsOf([c]) }))
    reply.header('HX-Trigger', JSON.stringify({ 'flc:assets': { components } }))
    return await reply.send(html)
  }
  return await reply.send(`${assetTags(missing)}\n${html}`)
}
