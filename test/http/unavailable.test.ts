// A 503 from any layer keeps its code and Retry-After and is not logged as a server error: the
// stream cap (STREAMS_MAX, src/live) and an error thrown by a route, through the one error handler.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { request, type ClientRequest } from 'node:http'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app from '../../src/app.js'
import { serverOptions } from '../../src/http/server-options.js'
import { testConfig } from '../helpers/build.js'
import { ServiceUnavailableError } from '../../src/errors.js'

interface LogLine { level: number, msg?: string, err?: { code?: string } }

async function appWithLog (t: import('node:test').TestContext, overrides: Parameters<typeof testConfig>[0]) {
  const lines: LogLine[] = []
  const stream = new Writable({ write (chunk, _enc, done) { for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine); done() } })
  const config = testConfig({ DATA_DIR: 'memory://', DEMO_CONTACTS: 0, LOG_LEVEL: 'info', ...overrides })
  const fastify = Fastify(serverOptions(config, { level: 'info', stream }))
  t.after(() => fastify.close())
  await fastify.register(fp(app), { config })
  return { fastify, lines }
}

function openStream (base: string): Promise<{ status: number, headers: Record<string, unknown>, body: Promise<string>, req: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/notification/`, { agent: false, headers: { accept: 'text/event-stream' } })
    req.once('response', (res) => {
      let text = ''
      const body = new Promise<string>((resolve) => { res.on('data', (c) => { text += String(c) }); res.once('close', () => resolve(text)) })
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, req })
    })
    req.once('error', reject)
    req.end()
  })
}

test('STREAMS_MAX reached: 503 with code FLC_STREAMS_MAX and Retry-After, logged below error level', async (t) => {
  const { fastify, lines } = await appWithLog(t, { STREAMS_MAX: 1, STREAMS_PER_CLIENT: 10, CONNECTIONS_MAX: 100 })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const { port } = fastify.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`
  const held = await openStream(base)
  t.after(() => held.req.destroy())
  assert.equal(held.status, 200)
  const refused = await openStream(base)
  assert.equal(refused.status, 503)
  assert.equal(refused.headers['retry-after'], '2')
  assert.equal(refused.headers.connection, 'close')
  const body = JSON.parse(await refused.body) as { code?: string, message?: string }
  assert.equal(body.code, 'FLC_STREAMS_MAX')
  assert.match(body.message ?? '', /as many live streams/)
  assert.equal(lines.filter((line) => line.level >= 50).length, 0, 'nothing logged at error level')
  assert.ok(lines.some((line) => line.level === 40 && line.err?.code === 'FLC_STREAMS_MAX'), 'the refusal is logged at warn')
})

test('a 503 thrown by any route keeps its code and Retry-After; a plain 500 stays generic outside development', async (t) => {
  const { fastify, lines } = await appWithLog(t, {})
  fastify.get('/down', async () => { throw new ServiceUnavailableError('The widget service is down') })
  fastify.get('/boom', async () => { throw Object.assign(new Error('secret detail'), { code: 'FLC_WIDGET' }) })
  await fastify.ready()
  const down = await fastify.inject({ url: '/down' })
  assert.equal(down.statusCode, 503)
  assert.equal(down.headers['retry-after'], '5')
  assert.deepEqual(down.json(), { statusCode: 503, code: 'FLC_UNAVAILABLE', error: 'Service Unavailable', message: 'The widget service is down' })
  assert.equal(lines.filter((line) => line.level >= 50).length, 0)
  const boom = await fastify.inject({ url: '/boom' })
  assert.equal(boom.statusCode, 500)
  assert.doesNotMatch(boom.body, /secret detail|FLC_WIDGET/)
  assert.equal(lines.filter((line) => line.level >= 50).length, 1, 'a real server error is logged at error level')
})

test('in development a server error shows its code and message', async (t) => {
  const { fastify } = await appWithLog(t, { NODE_ENV: 'development' })
  fastify.get('/boom', async () => { throw Object.assign(new Error('template broke'), { code: 'FLC_WIDGET' }) })
  await fastify.ready()
  const html = await fastify.inject({ url: '/boom', headers: { 'hx-request': 'true' } })
  assert.equal(html.statusCode, 500)
  assert.match(html.body, /data-code="FLC_WIDGET"/)
  assert.match(html.body, /FLC_WIDGET: template broke/)
})
