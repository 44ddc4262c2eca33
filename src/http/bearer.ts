// "Authorization: Bearer <token>" for routes guarded by a configured secret (POST /notifications,
// POST /live/publish/<component>, GET /metrics): the one check, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { PublishingDisabledError, UnauthorizedError } from '../errors.js'

export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

/** Compares digests, not the strings: equal lengths always, so the time taken reveals nothing (not even the token's length). */
export function sameSecret (given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

export interface BearerGuardOptions {
  /** The configured token (undefined: the route is off). */
  token: () => string | undefined
  /** Its variable, named in the answer when it is not set (e.g. "NOTIFICATIONS_TOKEN"). */
  variable: string
  /** WWW-Authenticate realm. */
  realm: string
  /** The error when the token is not set (default: FLC_PUBLISHING_DISABLED naming the variable). */
  disabled?: () => Error
}

/**
 * An onRequest hook: it runs before the body is read, so a caller without the token gets 401,
 * never a parse error or a 413, and the server reads nothing from a client it does not trust.
 */
export function bearerGuard (options: BearerGuardOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const expected = options.token()
    if (expected === undefined) throw options.disabled?.() ?? new PublishingDisabledError(options.variable)
    const given = bearerToken(request)
    if (given === undefined || !sameSecret(given, expected)) {
      reply.header('WWW-Authenticate', `Bearer realm="${options.realm}"`)
      throw new UnauthorizedError()
    }
  }
}
