// Options of the Fastify server, shared by src/server.ts and the test apps so both behave alike.
import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import type { ServerOptions } from 'node:http'
import type { AppConfig } from '../config.js'
import { trustProxyOption } from '../server/trust-proxy.js'

/** How often Node looks for sockets past HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS (its default, 30 s, would let them live that much longer). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000

type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

/**
 * The request as logged: a page stream's URL carries its signed token (?s=…), a capability
 * to read the page's channels until it expires, so logs keep only that it was there.
 */
function redactedRequest (req: FastifyRequest): { method?: string, url?: string, host?: string, remoteAddress?: string, remotePort?: number } {
  return {
    method: req.method,
    url: req.url.replace(/([?&]s=)[^&]*/, '$1[redacted]'),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort
  }
}

/** logger: the log destination and format (src/server/logger.ts); default: JSON lines at LOG_LEVEL. */
export function serverOptions (config: AppConfig, logger: LoggerOptions = { level: config.LOG_LEVEL }): FastifyServerOptions & { http: ServerOptions } {
  return {
    // Fastify hands its request object to the req serializer (the type says the raw one).
    logger: { ...logger, serializers: { req: redactedRequest as unknown as (req: unknown) => Record<string, unknown> } },
    // Short timers for what is not a stream: a socket that sends nothing, drips its headers or
    // its body, or sits idle between requests holds a file, so each is cut within seconds.
    // requestTimeout only bounds *receiving* a request: an open SSE stream (a finished GET whose
    // response goes on) is not cut by it. Node checks these every connectionsCheckingInterval.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    // (Node checks headersTimeout <= requestTimeout when it creates the server: both go here too.)
    http: { headersTimeout: config.HEADERS_TIMEOUT_MS, requestTimeout: config.REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Start-up work (PGlite, migrations, seeding) is legitimately slow on a loaded machine:
    // no plugin timeout. Every network wait has its own bound, and a step that hangs is named
    // in the log (plugins/app/database.ts).
    pluginTimeout: 0,
    // request.ip (stream limits, rate limits) comes from X-Forwarded-For only behind these proxies.
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // A JSON body with a "__proto__" or "constructor.prototype" key is valid JSON: drop the key
    // (it is never a field we read) instead of calling the whole body invalid.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove'
  }
}
