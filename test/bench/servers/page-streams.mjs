// The product's live layer for the page stream benchmark (from dist/ of the product root in
// FLC_ROOT): Redis broker, LiveHub, page streams. Three public channels bench_a, bench_b,
// bench_c, each rendered once per message like the notification component (JSON checked,
// HTML escaped), served two ways side by side:
// - today's design: one stream per component, GET /c/a, /c/b, /c/c;
// - the page stream: GET /live/?s=<token> carrying the channels of the token.
// Plus a family "bench_private" (one channel per client, key k<i>).
// GET /bench/paths?channels=a,b,c&n=N answers N page stream paths (for "private": each with
// bench_shared and its own private channel).
import Fastify from 'fastify'
import { join } from 'node:path'

const root = process.env.FLC_ROOT
const dist = (path) => join(root, 'dist', path)
const { loadConfig } = await import(dist('src/config.js'))
const configPlugin = (await import(dist('plugins/app/config.js'))).default
const brokerPlugin = (await import(dist('plugins/app/broker.js'))).default
const livePlugin = (await import(dist('plugins/app/live.js'))).default
const livePagesPlugin = (await import(dist('plugins/app/live-pages.js'))).default

const config = loadConfig(process.env)
const app = Fastify({ logger: { level: config.LOG_LEVEL } })
await app.register(configPlugin, { config })
await app.register(brokerPlugin)
await app.register(livePlugin)
await app.register(livePagesPlugin)

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
function render (payload) {
  const m = JSON.parse(payload)
  return `<div class="notification" style="color: ${escape(m.color)};" role="alert"><span style="font-weight: bold;">${escape(m.title)}</span> ${escape(m.message)}</div>`
}

for (const name of ['a', 'b', 'c', 'shared']) {
  const channel = app.live.channel({ channel: `bench_${name}`, event: 'notification', render })
  app.get(`/c/${name}`, channel.handler)
}
const family = app.livePages.streams.family({ prefix: 'bench_private', event: 'notification', render, authorize: () => true })

app.get('/bench/paths', async (request) => {
  const { channels = 'a,b,c', n = '1' } = request.query
  const count = Number(n)
  const paths = []
  for (let i = 0; i < count; i++) {
    const list = channels === 'private' ? ['bench_shared', family.channel(`k${i}`)] : channels.split(',').map((c) => `bench_${c}`)
    paths.push(`/live/?s=${app.livePages.streams.grant(list).token}`)
  }
  return paths
})

await app.listen({ host: config.HOST, port: config.PORT })
const stop = () => app.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
