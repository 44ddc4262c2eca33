// Every refusal closes its socket. A client that is refused (over a rate limit or a stream cap,
// a body or headers too large, too slow, the service unavailable) is the client most likely to
// come back at once: a kept-alive socket per refusal would let it hold thousands of files.
// One onSend hook covers every route, plugin and error path that answers through Fastify; Node's
// own parser errors (400/408/431 before a request exists) are answered by Fastify's client
// error handler, which destroys the socket, and Fastify's 503 while closing sends
// "Connection: close" itself.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** The statuses that refuse a request rather than answer it. */
export const REFUSAL_STATUSES: ReadonlySet<number> = new Set([408, 413, 429, 431, 503])

function closeOnRefusal (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  // HTTP/2 has no Connection header (setting one is a protocol error); its streams are cheap.
  if (REFUSAL_STATUSES.has(reply.statusCode) && request.raw.httpVersionMajor < 2) reply.header('connection', 'close')
  done(null, payload)
}

/** Call on the root instance before any route is added. */
export function closeConnectionsOnRefusal (fastify: FastifyInstance): void {
  fastify.addHook('onSend', closeOnRefusal)
}
