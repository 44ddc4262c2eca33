// Baseline for the HTML route: a bare Fastify route answering GET /contacts/:page with a
// fixed HTML body (the product's own page-1 response, captured earlier in the same run),
// so the difference measures everything the product does per request.
// Env: PORT, HOST, BARE_HTML_FILE, BARE_CONTENT_TYPE.
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const html = readFileSync(process.env.BARE_HTML_FILE, 'utf8')
const contentType = process.env.BARE_CONTENT_TYPE || 'text/html; charset=utf-8'
const app = Fastify({ logger: false })

app.get('/contacts/:page', async (_request, reply) => {
  reply.type(contentType)
  return html
})

await app.listen({ port: Number(process.env.PORT ?? 3102), host: process.env.HOST ?? '127.0.0.1', backlog: 4096 })
process.once('SIGTERM', () => { app.close().then(() => process.exit(0)) })
