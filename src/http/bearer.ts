// "Authorization: Bearer <token>" checks for routes guarded by a configured secret.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'

export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

/** Constant-time comparison (the length still shows, which a long random token can afford). */
export function sameSecret (given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
