// GET /metrics: who may read it, and that it reports what the live system, the broker, the
// database and HTTP did, read from their stats() objects.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { freePort } from '../helpers/ports.js'
import { startServer } from '../helpers/server-process.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { waitFor } from '../helpers/wait.js'
import { NOTIFICATION_CHANNEL, STREAM_PATH } from '../../components/notification/index.js'

const TOKEN = 'metrics-token-for-tests-0123456789'

/** The value of one sample line, e.g. sample(text, 'flc_live_clients{channel="x",event="y"}'). */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function scrape (app: FastifyInstance): Promise<string> {
  const response = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/)
  return response.body
}

test('without METRICS_TOKEN the app port answers 401 naming METRICS_TOKEN and METRICS_PORT', async (t) => {
  const app = await build(t, { DATA_DIR: 'memory://' })
  const response = await app.inject({ url: '/metrics' })
  assert.equal(response.statusCode, 401)
  assert.match(response.json().message, /METRICS_TOKEN.*METRICS_PORT/)
})

test('with METRICS_TOKEN only the bearer of that token reads the metrics', async (t) => {
  const app = await build(t, { DATA_DIR: 'memory://', METRICS_TOKEN: TOKEN })
  for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`]) {
    const response = await app.inject({ url: '/metrics', headers: authorization === undefined ? {} : { authorization } })
    assert.equal(response.statusCode, 401, String(authorization))
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="metrics"')
    assert.ok(!response.body.includes('process_cpu'), 'nothing leaks')
  }
  assert.match(await scrape(app), /^process_cpu_user_seconds_total \d/m)
})

test('HTTP durations by route pattern, live deliveries, broker round trips and database queries', async (t) => {
  const app = await build(t, { DATA_DIR: 'memory://', METRICS_TOKEN: TOKEN })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  for (const page of [1, 2]) assert.equal((await app.inject({ url: `/contacts/${page}` })).statusCode, 200)
  assert.equal((await app.inject({ url: '/no/such/page' })).statusCode, 404)

  const client = await SseTestClient.connect(`http://127.0.0.1:${port}${STREAM_PATH}`)
  t.after(() => client.close())
  await client.waitFor((c) => c.retry !== undefined, 'the stream to open')
  await app.broker.publish(NOTIFICATION_CHANNEL, JSON.stringify({ title: 'Hello', message: 'metrics', color: 'green' }))
  await app.broker.publish(NOTIFICATION_CHANNEL, '{not json')
  await client.waitForEvents(1)
  // contact_count's start-up update has no reader here: counted unread, not rendered.
  await waitFor(() => app.live.stats().channels.find((c) => c.channel === 'broadcast.contact_count')?.unread === 1, { what: 'the start-up update' })

  const text = await scrape(app)
  const labels = `channel="${NOTIFICATION_CHANNEL}",event="notification"`
  assert.equal(sample(text, 'http_request_duration_seconds_count{method="GET",route="/contacts/:page",status_code="200"}'), 2)
  assert.equal(sample(text, 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'), 1, 'unknown URLs share one series')
  assert.equal(sample(text, 'flc_live_streams_open'), 1)
  assert.equal(sample(text, `flc_live_clients{${labels}}`), 1)
  assert.equal(sample(text, `flc_live_messages_total{${labels}}`), 2)
  assert.equal(sample(text, `flc_live_deliveries_total{${labels}}`), 1)
  assert.equal(sample(text, `flc_live_evictions_total{${labels}}`), 0)
  assert.ok((text.match(/^flc_live_dropped_total\{.*reason="[^"]+"\} 1$/m)) !== null, 'the malformed message is counted by reason')
  assert.equal(sample(text, `flc_live_render_seconds_count{${labels}}`), 2)
  assert.equal(sample(text, `flc_live_render_seconds_bucket{${labels},le="+Inf"}`), 2)
  assert.equal(sample(text, `flc_live_delivery_lag_seconds_count{${labels}}`), 2)
  // The two notifications, and contact_count's start-up update (its channel was empty).
  assert.equal(sample(text, 'flc_broker_published_total{kind="memory"}'), 3)
  // Rendered here: the notification (a live component from a channel); the start-up update had no reader.
  assert.equal(sample(text, 'flc_broadcast_renders_total'), 1)
  assert.equal(sample(text, 'flc_live_unread_total{channel="broadcast.contact_count",event="broadcast.contact_count"}'), 1)
  assert.equal(sample(text, 'flc_broadcast_announced_total'), 0)
  assert.doesNotMatch(text, /^flc_announcements_received_total \d/m, 'no outside announcements without Redis')
  assert.equal(sample(text, 'flc_broker_publish_seconds_count{kind="memory"}'), 3)
  assert.ok((sample(text, 'flc_db_query_seconds_count{kind="pglite"}') ?? 0) >= 2, 'the contacts queries were timed')
  assert.equal(sample(text, 'flc_db_pool_connections{kind="pglite",state="max"}'), 1)
  assert.match(text, /^nodejs_eventloop_lag_seconds \d/m)
})

test('PostgreSQL pool use is reported', async (t) => {
  const { createTestDatabase } = await import('../helpers/services.js')
  const databaseUrl = await createTestDatabase(t)
  if (databaseUrl === undefined) return
  const app = await build(t, { DATABASE_URL: databaseUrl, METRICS_TOKEN: TOKEN })
  assert.equal((await app.inject({ url: '/contacts/1' })).statusCode, 200)
  const text = await scrape(app)
  assert.equal(sample(text, 'flc_db_pool_connections{kind="postgres",state="max"}'), 10)
  assert.ok((sample(text, 'flc_db_pool_connections{kind="postgres",state="total"}') ?? 0) >= 1)
  assert.equal(sample(text, 'flc_db_pool_connections{kind="postgres",state="waiting"}'), 0)
  assert.ok((sample(text, 'flc_db_query_seconds_count{kind="postgres"}') ?? 0) >= 1)
})

test('METRICS_PORT serves /metrics without a token on its own port, and nothing else there', async (t) => {
  const metricsPort = await freePort()
  const server = await startServer(t, { DATA_DIR: 'memory://', METRICS_PORT: String(metricsPort) })
  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
  assert.equal(metrics.status, 200)
  assert.match(await metrics.text(), /^flc_live_streams_open 0$/m)
  assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/`)).status, 404)
  assert.equal((await fetch(new URL('/metrics', server.url))).status, 401, 'the public port still wants the token')
  server.child.kill('SIGTERM')
  assert.equal((await server.exited).code, 0, server.logs())
})
