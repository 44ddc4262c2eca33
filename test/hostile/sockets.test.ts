// Nobody who can reach the port takes it down without a request (issue 15, findings 1–3):
// sockets are capped per client address when they are accepted, before any HTTP is read; the
// process cap (server.maxConnections) drops and counts; every refusal closes its socket; and
// sockets that send nothing, drip their headers or sit idle are cut within seconds, while an
// open SSE stream is not.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { request } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import type { AppConfig } from '../../src/config.js'
import { waitFor } from '../helpers/wait.js'

const METRICS = 'metrics-token-0123456789'

async function startApp (t: TestContext, overrides: Partial<AppConfig>): Promise<{ app: FastifyInstance, port: number } | undefined> {
  const url = await createTestDatabase(t)
  if (url === undefined) return undefined
  const app = await build(t, { DATABASE_URL: url, DEMO_CONTACTS: 0, ...overrides })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: (app.server.address() as { port: number }).port }
}

interface HeldSocket { socket: Socket, closed: Promise<void>, isClosed: () => boolean }

/** A TCP socket from a chosen loopback source address that sends nothing (unless told to). */
async function hold (t: TestContext, port: number, localAddress: string): Promise<HeldSocket> {
  const socket = connect({ port, host: '127.0.0.1', localAddress })
  socket.on('error', () => {})
  socket.resume()
  let closed = false
  const whenClosed = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve() }))
  t.after(() => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('close', () => reject(new Error('closed before connecting')))
  })
  return { socket, closed: whenClosed, isClosed: () => closed }
}

async function health (port: number, localAddress = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/health', localAddress, agent: false }, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? 0))
    })
    req.once('error', reject)
    req.end()
  })
}

test('idle sockets from two addresses are capped per address when accepted; /health from a third answers', { timeout: 120_000 }, async (t) => {
  const started = await startApp(t, { STREAMS_PER_CLIENT: 5, CONNECTIONS_PER_CLIENT: 20, CONNECTIONS_MAX: 1000, METRICS_TOKEN: METRICS })
  if (started === undefined) return
  const { app, port } = started
  const held: HeldSocket[] = []
  for (const address of ['127.0.0.2', '127.0.0.3']) {
    for (let i = 0; i < 60; i++) held.push(await hold(t, port, address))
  }
  // The kernel completes every connect; the process keeps only what each address may hold.
  await waitFor(() => held.filter((s) => s.isClosed()).length === 80, { what: 'the sockets over the per-address cap closed' })
  const stats = app.connectionGuard.stats()
  assert.equal(stats.refusedPerClient, 80)
  assert.equal(stats.open, 40)
  assert.equal(stats.addresses, 2)
  for (let i = 0; i < 5; i++) assert.equal(await health(port), 200)

  const metrics = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS}` } })
  assert.equal(metrics.statusCode, 200)
  assert.match(metrics.body, /flc_connections_refused_total\{reason="per-client"\} 80\n/)
  assert.match(metrics.body, /flc_connections_open 40\n/)
})

test('past CONNECTIONS_MAX new sockets are dropped and counted; they come back once others close', { timeout: 120_000 }, async (t) => {
  const started = await startApp(t, { STREAMS_PER_CLIENT: 5, CONNECTIONS_PER_CLIENT: 100, CONNECTIONS_MAX: 10 })
  if (started === undefined) return
  const { app, port } = started
  const held: HeldSocket[] = []
  for (let i = 0; i < 15; i++) held.push(await hold(t, port, '127.0.0.2'))
  await waitFor(() => held.filter((s) => s.isClosed()).length === 5, { what: 'the sockets past the process cap dropped' })
  assert.equal(app.connectionGuard.stats().refusedProcess, 5)
  for (const s of held) s.socket.destroy()
  await waitFor(() => app.connectionGuard.stats().open === 0, { what: 'the held sockets gone' })
  assert.equal(await health(port), 200)
})

test('a trusted proxy (TRUST_PROXY) carries many clients: only the process cap applies to it', { timeout: 120_000 }, async (t) => {
  const started = await startApp(t, { STREAMS_PER_CLIENT: 5, CONNECTIONS_PER_CLIENT: 5, CONNECTIONS_MAX: 1000, TRUST_PROXY: '127.0.0.2' })
  if (started === undefined) return
  const { app, port } = started
  const proxied: HeldSocket[] = []
  for (let i = 0; i < 12; i++) proxied.push(await hold(t, port, '127.0.0.2'))
  const other: HeldSocket[] = []
  for (let i = 0; i < 8; i++) other.push(await hold(t, port, '127.0.0.3'))
  await waitFor(() => other.filter((s) => s.isClosed()).length === 3, { what: 'the untrusted address capped' })
  assert.equal(proxied.filter((s) => s.isClosed()).length, 0, 'no socket of the proxy closed')
  assert.equal(app.connectionGuard.stats().refusedPerClient, 3)
})

/** Sends raw bytes and reads the whole answer until the server closes the socket. */
async function exchange (t: TestContext, port: number, bytes: string): Promise<{ text: string }> {
  const { socket, closed } = await hold(t, port, '127.0.0.1')
  let text = ''
  socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
  socket.write(bytes)
  await closed // the test's own bound (no polling wait): a socket kept open fails it by timeout
  return { text }
}

test('every refusal closes its socket: rate limit (429), body too large (413), stream cap (429)', { timeout: 120_000 }, async (t) => {
  const started = await startApp(t, { STREAMS_PER_CLIENT: 1, RATE_LIMIT_STREAM_OPENS_PER_MIN: 2, NOTIFICATIONS_TOKEN: 'refusal-token-0123456789' })
  if (started === undefined) return
  const { port } = started
  const streamRequest = 'GET /notification/ HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: keep-alive\r\n\r\n'
  const first = await hold(t, port, '127.0.0.1')
  first.socket.write(streamRequest) // holds the one stream this address may have
  const capped = await exchange(t, port, streamRequest)
  assert.match(capped.text, /^HTTP\/1\.1 429 /)
  assert.match(capped.text, /\r\nconnection: close\r\n/i)
  const limited = await exchange(t, port, streamRequest)
  assert.match(limited.text, /^HTTP\/1\.1 429 /, 'the rate limiter refuses the third open within the minute')
  assert.match(limited.text, /\r\nconnection: close\r\n/i)
  assert.doesNotMatch(limited.text, /keep-alive/i)

  // Refused on its Content-Length alone: no body is sent, so none is left unread when the socket closes.
  const tooLarge = await exchange(t, port, 'POST /notifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer refusal-token-0123456789\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nConnection: keep-alive\r\n\r\n')
  assert.match(tooLarge.text, /^HTTP\/1\.1 413 /)
  assert.match(tooLarge.text, /\r\nconnection: close\r\n/i)
})

test('a socket that sends nothing, one that drips its headers and an idle keep-alive socket are cut; an open stream is not', { timeout: 120_000 }, async (t) => {
  const started = await startApp(t, { HEADERS_TIMEOUT_MS: 1000, REQUEST_TIMEOUT_MS: 2000, KEEP_ALIVE_TIMEOUT_MS: 1000, SSE_HEARTBEAT_MS: 200 })
  if (started === undefined) return
  const { port } = started

  const silent = await hold(t, port, '127.0.0.1')
  const drip = await hold(t, port, '127.0.0.1')
  const request = 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: '
  let sent = 0
  const dripping = setInterval(() => { if (!drip.isClosed() && sent < 1000) drip.socket.write(request[sent++ % request.length] ?? 'a') }, 100)
  t.after(() => clearInterval(dripping))

  const idle = await hold(t, port, '127.0.0.1')
  let idleAnswer = ''
  idle.socket.on('data', (chunk: Buffer) => { idleAnswer += chunk.toString() })
  idle.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')

  const stream = await hold(t, port, '127.0.0.1')
  let streamText = ''
  stream.socket.on('data', (chunk: Buffer) => { streamText += chunk.toString() })
  stream.socket.write('GET /notification/ HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n')

  // Bounded waits: on a loaded machine they take longer, never forever (Node's defaults: 60–90 s).
  await Promise.all([silent.closed, drip.closed, idle.closed])
  assert.match(idleAnswer, /^HTTP\/1\.1 200 /, 'the idle socket got its answer before it was cut')
  // The stream outlived every timer above and keeps getting heartbeats.
  const pings = (): number => (streamText.match(/: ping/g) ?? []).length
  const before = pings()
  await waitFor(() => pings() > before + 2, { what: 'more heartbeats on the open stream' })
  assert.equal(stream.isClosed(), false)
})
