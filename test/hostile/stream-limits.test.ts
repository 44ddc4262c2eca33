// One client address cannot take every stream (file) the process may open: streams are capped
// per address and per process, refused ones answered at once with 429/503 + Retry-After, and
// /health, /ready and pages keep answering. (Issue 8, finding 4.)
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { request, type IncomingMessage, type ClientRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { waitFor } from '../helpers/wait.js'
import type { AppConfig } from '../../src/config.js'
import { defaultStreamsMax } from '../../src/util/open-files.js'

interface Opened { status: number, headers: IncomingMessage['headers'], req: ClientRequest, res: IncomingMessage, ended: Promise<void> }

/** A GET from a chosen loopback source address; the response is left open (a stream stays held). */
function open (base: string, path: string, localAddress: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { localAddress, agent: false, headers: { accept: 'text/event-stream', ...headers } })
    req.once('response', (res) => {
      res.on('error', () => {})
      const ended = new Promise<void>((resolve) => res.once('close', () => resolve()))
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers, req, res, ended })
    })
    req.once('error', reject)
    req.end()
  })
}

async function get (base: string, path: string, localAddress: string): Promise<number> {
  const opened = await open(base, path, localAddress, { accept: 'text/html' })
  await opened.ended
  return opened.status
}

async function startApp (t: TestContext, overrides: Partial<AppConfig>): Promise<{ app: FastifyInstance, base: string } | undefined> {
  const url = await createTestDatabase(t)
  if (url === undefined) return undefined
  const app = await build(t, { DATABASE_URL: url, DEMO_CONTACTS: 0, ...overrides })
  await app.listen({ port: 0, host: '0.0.0.0' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { app, base: `http://127.0.0.1:${address.port}` }
}

test('one address gets STREAMS_PER_CLIENT streams, the rest 429 at once; others and /health are served', async (t) => {
  const started = await startApp(t, { STREAMS_PER_CLIENT: 20, STREAMS_MAX: 1000 })
  if (started === undefined) return
  const { app, base } = started
  const held: Opened[] = []
  t.after(() => { for (const o of held) o.req.destroy() })

  const attempts = 300
  let refused = 0
  for (let batch = 0; batch < attempts; batch += 50) {
    const results = await Promise.all(Array.from({ length: 50 }, () => open(base, '/notification/', '127.0.0.1')))
    for (const result of results) {
      if (result.status === 200) {
        held.push(result)
        continue
      }
      refused++
      assert.equal(result.status, 429)
      assert.equal(result.headers['retry-after'], '2')
      assert.equal(result.headers.connection, 'close', 'the refused socket is not kept alive')
    }
  }
  assert.equal(held.length, 20, 'streams held by one address = its cap')
  assert.equal(refused, attempts - 20)
  const limits = app.live.stats().limits
  assert.equal(limits.open, 20)
  assert.equal(limits.refusedPerClient, attempts - 20)

  // Everyone else is unaffected.
  assert.equal(await get(base, '/health', '127.0.0.2'), 200)
  assert.equal(await get(base, '/ready', '127.0.0.2'), 200)
  assert.equal(await get(base, '/', '127.0.0.2'), 200)
  const other = await open(base, '/notification/', '127.0.0.2')
  held.push(other)
  assert.equal(other.status, 200)

  // A stream that ends gives its slot back.
  const first = held.shift()!
  first.req.destroy()
  await waitFor(() => app.live.stats().limits.open <= 20, { what: 'the ended stream to give its slot back' })
  const again = await open(base, '/notification/', '127.0.0.1')
  held.push(again)
  assert.equal(again.status, 200)
})

test('the process-wide cap answers 503 + Retry-After while /health still answers', async (t) => {
  const started = await startApp(t, { STREAMS_PER_CLIENT: 10, STREAMS_MAX: 25 })
  if (started === undefined) return
  const { app, base } = started
  const held: Opened[] = []
  t.after(() => { for (const o of held) o.req.destroy() })
  for (const address of ['127.0.0.3', '127.0.0.4', '127.0.0.5']) {
    for (let i = 0; i < 10; i++) held.push(await open(base, '/notification/', address))
  }
  const statuses = held.map((o) => o.status)
  assert.equal(statuses.filter((s) => s === 200).length, 25)
  assert.equal(statuses.filter((s) => s === 503).length, 5)
  const refused = held.find((o) => o.status === 503)!
  assert.equal(refused.headers['retry-after'], '2')
  assert.equal(app.live.stats().limits.refusedProcess, 5)
  assert.equal(await get(base, '/health', '127.0.0.6'), 200)
})

test('behind a trusted proxy the client address comes from X-Forwarded-For; otherwise the header is ignored', async (t) => {
  const trusted = await startApp(t, { STREAMS_PER_CLIENT: 2, TRUST_PROXY: '127.0.0.1' })
  if (trusted === undefined) return
  const held: Opened[] = []
  t.after(() => { for (const o of held) o.req.destroy() })
  for (const client of ['203.0.113.1', '203.0.113.2']) {
    for (let i = 0; i < 3; i++) held.push(await open(trusted.base, '/notification/', '127.0.0.1', { 'x-forwarded-for': client }))
  }
  assert.deepEqual(held.map((o) => o.status), [200, 200, 429, 200, 200, 429], 'counted per forwarded client')

  const untrusted = await startApp(t, { STREAMS_PER_CLIENT: 2 })
  if (untrusted === undefined) return
  const spoofed: number[] = []
  for (let i = 0; i < 3; i++) {
    const o = await open(untrusted.base, '/notification/', '127.0.0.1', { 'x-forwarded-for': `198.51.100.${i}` })
    held.push(o)
    spoofed.push(o.status)
  }
  assert.deepEqual(spoofed, [200, 200, 429], 'a forged X-Forwarded-For does not buy more streams')
})

test('the default process cap leaves headroom under the open-file limit', () => {
  assert.equal(defaultStreamsMax(20_000), 16_000)
  assert.equal(defaultStreamsMax(null), 819)
})
