// The only place that listens. Reads the configuration, starts the app, and shuts down
// gracefully on SIGTERM/SIGINT: live streams end (clients reconnect and replay), in-flight
// requests finish, then Redis and the database close.
import Fastify, { type FastifyHttp2SecureOptions, type FastifyInstance } from 'fastify'
import type { Http2SecureServer } from 'node:http2'
import type { Server } from 'node:http'
import closeWithGrace from 'close-with-grace'
import fp from 'fastify-plugin'
import { readFileSync } from 'node:fs'
import { ConfigError, loadConfig, type AppConfig } from './config.js'
import app from './app.js'
import { serverOptions } from './http/server-options.js'
import { loggerOptions } from './server/logger.js'
import { listenMetrics } from './server/metrics-port.js'

function readConfig (): AppConfig {
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
}

/** Listening errors name the setting to change (PORT, or METRICS_PORT while that one starts). */
function startFailure (error: NodeJS.ErrnoException, portVariable: 'PORT' | 'METRICS_PORT'): string {
  const port = portVariable === 'PORT' ? config.PORT : config.METRICS_PORT
  if (error.code === 'EADDRINUSE') return `${portVariable}=${port} is already in use on ${config.HOST}: stop the other process or choose another ${portVariable}`
  if (error.code === 'EACCES') return `${portVariable}=${port} needs privileges on this system: choose a ${portVariable} above 1023`
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') return `HOST=${config.HOST} is not an address of this machine (${error.code}): use 127.0.0.1, 0.0.0.0 or one of its addresses`
  return error.message
}

/** TLS_CERT + TLS_KEY: the certificate and key, read now so a bad path stops start-up with its name. */
function readTls ({ TLS_CERT, TLS_KEY }: AppConfig): { cert: Buffer, key: Buffer } | undefined {
  if (TLS_CERT === undefined && TLS_KEY === undefined) return undefined
  if (TLS_CERT === undefined || TLS_KEY === undefined) {
    process.stderr.write(`Invalid configuration: set both TLS_CERT and TLS_KEY (only ${TLS_CERT === undefined ? 'TLS_KEY' : 'TLS_CERT'} is set)\n`)
    process.exit(2)
  }
  const read = (name: string, path: string): Buffer => {
    try {
      return readFileSync(path)
    } catch (error) {
      process.stderr.write(`Invalid configuration: ${name}=${JSON.stringify(path)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`)
      process.exit(2)
    }
  }
  return { cert: read('TLS_CERT', TLS_CERT), key: read('TLS_KEY', TLS_KEY) }
}

const config = readConfig()
const tls = readTls(config)
const options = serverOptions(config, await loggerOptions(config))

// With a certificate: HTTPS, HTTP/2 for browsers that offer it (no 6-connection limit per
// host), HTTP/1.1 for the others (ALPN). The app itself is the same on both.
const server = (tls === undefined
  ? Fastify(options)
  : Fastify({ ...options, http2: true, https: { allowHTTP1: true, handshakeTimeout: config.HEADERS_TIMEOUT_MS, ...tls } } as FastifyHttp2SecureOptions<Http2SecureServer>)) as unknown as FastifyInstance

let metricsServer: Server | undefined

/**
 * Ctrl-C in a terminal reaches npm and node together, and npm passes its own on: node sees two
 * SIGINTs a few milliseconds apart. A second one within this window is that echo, not a person
 * asking to force the exit; a later one still forces.
 */
const REPEATED_SIGINT_MS = 1000

let stoppingSignal: NodeJS.Signals | undefined
const grace = closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, skip: ['SIGINT'] }, async ({ signal, err }) => {
  if (err !== undefined) server.log.error({ err }, 'shutting down after an error')
  else server.log.info({ signal: signal ?? stoppingSignal }, 'shutting down')
  metricsServer?.close()
  metricsServer?.closeAllConnections()
  await server.close()
  server.log.info('shut down cleanly')
})

let firstSigintAt: number | undefined
process.on('SIGINT', () => {
  if (firstSigintAt === undefined) {
    firstSigintAt = Date.now()
    stoppingSignal = 'SIGINT'
    grace.close()
  } else if (Date.now() - firstSigintAt < REPEATED_SIGINT_MS) {
    server.log.debug('repeated SIGINT (terminal and npm) ignored; press Ctrl-C again to force')
  } else {
    server.log.error('second SIGINT, exiting')
    process.exit(1)
  }
})

let listening: 'PORT' | 'METRICS_PORT' = 'PORT'
try {
  // fp(): the app's decorators (metrics for METRICS_PORT) are visible here, as in the tests.
  await server.register(fp(app), { config })
  await server.listen({ host: config.HOST, port: config.PORT })
  if (config.METRICS_PORT !== undefined) {
    listening = 'METRICS_PORT'
    metricsServer = await listenMetrics(server.metrics, config.HOST, config.METRICS_PORT, (err) => server.log.error({ err }, 'collecting metrics failed'))
    server.log.info({ port: (metricsServer.address() as { port: number }).port }, 'metrics served without a token on METRICS_PORT')
  }
  const address = server.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST
  const url = `${tls === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}/`
  server.log.info({ url }, 'Fastify Live Components is ready')
  process.stdout.write(`\n  Fastify Live Components is running at ${url}\n\n`)
} catch (error) {
  // One plain line, whatever the log format or level: the messages name the setting to fix.
  // The stack is only for debugging (LOG_LEVEL=debug).
  server.log.debug({ err: error }, 'start-up failure')
  process.stderr.write(`Could not start: ${startFailure(error as NodeJS.ErrnoException, listening)}\n`)
  metricsServer?.close()
  await server.close().catch(() => {})
  process.exit(1)
}
