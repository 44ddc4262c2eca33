// The product as src/server.ts starts it, from dist/ of the product root in FLC_ROOT (the same
// app plugin, server options and configuration from the environment), plus one read-only
// route for the benchmark: GET /bench/broadcast-stats answers this process's
// fastify.broadcasts.stats() (renders per process are only visible inside the process).
// Fastify comes from the product root, so --ours-root runs that checkout's versions.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = process.env.FLC_ROOT
if (!root) throw new Error('FLC_ROOT (the product root) is not set')
const fromRoot = createRequire(join(root, 'package.json'))
const load = async (specifier) => (await import(pathToFileURL(specifier).href)).default
const Fastify = await load(fromRoot.resolve('fastify'))
const fp = await load(fromRoot.resolve('fastify-plugin'))
const dist = (path) => join(root, 'dist', path)
const { loadConfig } = await import(pathToFileURL(dist('src/config.js')).href)
const { serverOptions } = await import(pathToFileURL(dist('src/http/server-options.js')).href)
const app = await load(dist('src/app.js'))

const config = loadConfig(process.env)
const server = Fastify(serverOptions(config))
await server.register(fp(app), { config })
server.get('/bench/broadcast-stats', async () => server.broadcasts.stats())
await server.listen({ host: config.HOST, port: config.PORT })

const stop = () => {
  setTimeout(() => process.exit(0), 5000).unref()
  server.close().then(() => process.exit(0), () => process.exit(1))
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
