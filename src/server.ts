// The only place that listens. Reads the configuration, starts the app, and shuts down
// gracefully on SIGTERM/SIGINT: live streams end (clients reconnect and replay), in-flight
// requests finish, then Redis and the database close.
import Fastify from 'fastify'
import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig, type AppConfig } from './config.js'
import app from './app.js'
import { serverOptions } from './http/server-options.js'

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

/** Listening errors name the setting to change. */
function startFailure (error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return `PORT=${config.PORT} is already in use on ${config.HOST}: stop the other process or choose another PORT`
  if (error.code === 'EACCES') return `PORT=${config.PORT} needs privileges on this system: choose a PORT above 1023`
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') return `HOST=${config.HOST} is not an address of this machine (${error.code}): use 127.0.0.1, 0.0.0.0 or one of its addresses`
  return error.message
}

const config = readConfig()

const server = Fastify(serverOptions(config))

closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err !== undefined) server.log.error({ err }, 'shutting down after an error')
  else server.log.info({ signal }, 'shutting down')
  await server.close()
  server.log.info('shut down cleanly')
})

try {
  await server.register(app, { config })
  await server.listen({ host: config.HOST, port: config.PORT })
  const address = server.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`
  server.log.info({ url }, 'Fastify Live Components is ready')
  process.stdout.write(`\n  Fastify Live Components is running at ${url}\n\n`)
} catch (error) {
  server.log.fatal({ err: error }, 'could not start')
  // Also as one plain line: the log may be JSON or silenced, and this is what a person needs.
  process.stderr.write(`Could not start: ${startFailure(error as NodeJS.ErrnoException)}\n`)
  await server.close().catch(() => {})
  process.exit(1)
}
