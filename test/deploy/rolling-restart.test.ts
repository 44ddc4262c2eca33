// Production shape: 3 instances (shared PostgreSQL and Redis) behind nginx configured with
// deploy/nginx/flc-proxy.conf. While 300 streams receive 20 messages/s through nginx, every
// instance is restarted in turn (SIGTERM, graceful). Streams of a stopping instance end;
// browsers reconnect through nginx to another instance with Last-Event-ID and replay from the
// Redis history: nothing is lost, nothing arrives twice. Reconnect times are printed, not
// asserted (a loaded machine is normal).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createTestDatabase, redisPrefix, requireRedis } from '../helpers/services.js'
import { startServer, type ServerProcess } from '../helpers/server-process.js'
import { startNginx } from '../helpers/nginx.js'
import { freePort } from '../helpers/ports.js'
import { sleep, waitFor } from '../helpers/wait.js'
import { countGaps, percentile, ReconnectingStream } from '../helpers/reconnecting-stream.js'
import { RedisChannelStore } from '../../src/live/broker/redis-store.js'
import { NOTIFICATION_CHANNEL, STREAM_PATH } from '../../components/notification/index.js'

const INSTANCES = 3
const CLIENTS = 300
const MESSAGES_PER_SECOND = 20

test(`rolling restart of ${INSTANCES} instances behind nginx: ${CLIENTS} streams lose and repeat nothing`, async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const redisUrl = await requireRedis(t)
  if (databaseUrl === undefined || redisUrl === undefined) return
  const prefix = redisPrefix(t, redisUrl, 'flc_rolling')
  const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()))
  const env = (port: number) => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    CHANNEL_PREFIX: prefix,
    PORT: String(port),
    NODE_ENV: 'production',
    // Production requires it; the three replicas share it as they must.
    SECRET_KEYS: 'rolling-restart-secret-0123456789abcdefghij',
    // All 300 test clients share one address (127.0.0.1): lift the per-address stream cap and
    // open rate, which exist for real clients, not for a load test from one machine.
    STREAMS_PER_CLIENT: '1000',
    RATE_LIMIT_STREAM_OPENS_PER_MIN: '1000000',
    LOG_LEVEL: 'warn',
    TRUST_PROXY: '127.0.0.1',
    SSE_RETRY_MS: '250',
    SHUTDOWN_GRACE_MS: '10000'
  })
  const instances: ServerProcess[] = await Promise.all(ports.map((port) => startServer(t, env(port), 120_000)))
  const nginx = await startNginx(t, ports)
  if (nginx === undefined) return

  const page = await fetch(`${nginx.url}/`)
  assert.equal(page.status, 200, 'pages are served through nginx')
  assert.match(await page.text(), /notification/)

  const streams = Array.from({ length: CLIENTS }, () => new ReconnectingStream(`${nginx.url}${STREAM_PATH}`, (data) => {
    const match = /m-(\d+)/.exec(data)
    return match === null ? null : Number(match[1])
  }))
  t.after(() => { for (const stream of streams) stream.stop() })
  for (const stream of streams) stream.start()
  await waitFor(() => streams.every((s) => s.opened), { what: `${CLIENTS} streams to open`, timeoutMs: 60_000, intervalMs: 100 })

  const redis = new Redis(redisUrl)
  t.after(() => redis.disconnect())
  const store = new RedisChannelStore(redis, prefix, 1000)
  let published = 0
  const run = { publishing: true }
  const publisher = (async () => {
    const started = performance.now()
    while (run.publishing) {
      published++
      await store.publish(NOTIFICATION_CHANNEL, JSON.stringify({ title: `m-${published}`, message: 'rolling restart', color: 'teal' }))
      // A steady rate on average, whatever each publish took.
      const due = started + (published * 1000) / MESSAGES_PER_SECOND
      await sleep(Math.max(0, due - performance.now()))
    }
  })()

  await sleep(2000)
  for (let i = 0; i < INSTANCES; i++) {
    const old = instances[i]!
    old.child.kill('SIGTERM')
    assert.equal((await old.exited).code, 0, `instance ${i} shut down cleanly:\n${old.logs()}`)
    instances[i] = await startServer(t, env(ports[i]!), 120_000)
    await sleep(2000)
  }
  run.publishing = false
  await publisher
  const total = published

  await waitFor(() => streams.every((s) => s.received.length >= total), { what: `every stream to receive all ${total} messages`, timeoutMs: 60_000, intervalMs: 100 })
    .catch(() => { /* counted below: the assertion says what was lost */ })
  await sleep(500) // anything that would arrive twice has time to arrive

  let lost = 0
  let duplicated = 0
  let outOfOrder = 0
  for (const stream of streams) {
    const gaps = countGaps(stream.received, total)
    lost += gaps.lost
    duplicated += gaps.duplicated
    outOfOrder += gaps.outOfOrder
  }
  const reconnects = streams.flatMap((s) => s.reconnectMs)
  const resets = streams.reduce((n, s) => n + s.resets.length, 0)
  const failedAttempts = streams.reduce((n, s) => n + s.failedAttempts, 0)
  const summary = `rolling restart: ${total} messages x ${CLIENTS} streams through nginx; lost ${lost}, duplicated ${duplicated}, out of order ${outOfOrder}, resets ${resets}; ` +
    `${reconnects.length} reconnects (non-200 answers ${failedAttempts}), reconnect p50 ${percentile(reconnects, 50).toFixed(0)} ms, p99 ${percentile(reconnects, 99).toFixed(0)} ms, max ${percentile(reconnects, 100).toFixed(0)} ms (SSE_RETRY_MS=250 included; shared machine)`
  const statuses: Record<string, number> = {}
  for (const stream of streams) for (const [status, n] of Object.entries(stream.failedStatuses)) statuses[status] = (statuses[status] ?? 0) + n
  if (failedAttempts > 0) console.log('non-200 answers by status', statuses, (await nginx.errorLog()).split('\n').filter((l) => !l.includes('no live upstreams')).slice(0, 15).join('\n'))
  t.diagnostic(summary)
  assert.equal(lost, 0, summary)
  assert.equal(duplicated, 0, summary)
  assert.equal(outOfOrder, 0, summary)
  assert.equal(resets, 0, summary)
  assert.ok(reconnects.length >= CLIENTS, `every stream reconnected at least once: ${summary}`)
})
