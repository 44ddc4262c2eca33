// Decorates `sessions`: an anonymous browser session in a signed cookie (no login system), e.g.
// for private per-session live channels. The cookie holds a random id and the signature of
// SECRET_KEYS; a tampered or foreign cookie counts as no session.
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export const SESSION_COOKIE = 'flc_session'
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/

export interface Sessions {
  /** The request's session id; starts a session (sets the cookie) when it has none. */
  ensure (request: FastifyRequest, reply: FastifyReply): string
  /** The request's session id, or undefined (no cookie, or one this server did not sign). */
  current (request: FastifyRequest): string | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: Sessions
  }
}

async function sessionPlugin (fastify: FastifyInstance) {
  // A session started during this request, before the browser has the cookie.
  const started = new WeakMap<FastifyRequest, string>()

  const current = (request: FastifyRequest): string | undefined => {
    const early = started.get(request)
    if (early !== undefined) return early
    const raw = request.cookies[SESSION_COOKIE]
    if (raw === undefined) return undefined
    const unsigned = request.unsignCookie(raw)
    return unsigned.valid && unsigned.value !== null && SESSION_ID.test(unsigned.value) ? unsigned.value : undefined
  }

  fastify.decorate('sessions', {
    current,
    ensure (request, reply) {
      const existing = current(request)
      if (existing !== undefined) return existing
      const id = randomBytes(16).toString('base64url')
      started.set(request, id)
      reply.setCookie(SESSION_COOKIE, id, {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: request.protocol === 'https'
      })
      return id
    }
  } satisfies Sessions)
}

export default fp(sessionPlugin, { name: 'session', dependencies: ['config', 'cookie'] })
