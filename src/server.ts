// The only place that listens. Reads the configuration, starts the app, and shuts down
// gracefully on SIGTERM/SIGINT: live streams end (clients reconnect and replay), in-flight
// requests finish, then Redis and the database close.
import Fastify from 'fastify'
import type { Server } from 'node:http'
import closeWithGrace from 'close-with-grace'
import fp from 'fastify-plugin'
import { ConfigError, loadConfig, type AppConfig } from './config.js'
import app from './app.js'
import { loggerOptions } from './server/logger.js'
import { trustProxyOption } from './server/trust-proxy.js'
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

const config = readConfig()

const server = Fastify({
  logger: await loggerOptions(config),
  trustProxy: trustProxyOption(config.TRUST_PROXY),
  // Creating the embedded database (initdb, migrations, seed) can take well over Fastify's
  // default 10 s on a busy small machine; its own steps fail clearly long before this bound.
  pluginTimeout: 120_000,
  // Streams are long-lived; the server-wide request timeout must not cut them.
  requestTimeout: 0,
  forceCloseConnections: 'idle',
  return503OnClosing: true
})

let metricsServer: Server | undefined

closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err !== undefined) server.log.error({ err }, 'shutting down after an error')
  else server.log.info({ signal }, 'shutting down')
  metricsServer?.close()
  metricsServer?.closeAllConnections()
  await server.close()
  server.log.info('shut down cleanly')
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
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`
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
