// Presence figures (issue 17):
//  1. update latency across two instances sharing Redis: an observer page is open on instance
//     A; a new visitor (a browser session of its own) opens the page's stream on instance B, and
//     the time from that stream's request to the observer receiving "2 people here" is recorded
//     (open); then the visitor's stream closes and the time to "Only you are here" (close).
//     Trials are spaced past the 100 ms coalescing window (inside a window an update waits for
//     its end: up to 100 ms more). Instances and clients share this Node process (real sockets).
//  2. Redis keys and memory (MEMORY USAGE, exact) for N present sessions on one topic, held by
//     one instance, split over two, and every session on both (tabs on two instances), plus the
//     time of one renewal (the heartbeat) of all of them.
//   node --import tsx test/bench/tools/presence.ts [--trials 50] [--sessions 10000]
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import app from '../../../src/app.js'
import { loadConfig } from '../../../src/config.js'
import { serverOptions } from '../../../src/http/server-options.js'
import { Presence, presenceMember } from '../../../src/presence/presence.js'
import { presenceKeys, RedisPresenceStore } from '../../../src/presence/redis-presence.js'
import { SseTestClient } from '../../helpers/sse-client.js'
import { deleteRedisKeys } from '../../helpers/services.js'

const option = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const TRIALS = option('--trials', 50)
const SESSIONS = option('--sessions', 10_000)
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const EVENT = 'presence:contacts'
const logger = { warn () {}, info () {}, error () {}, debug () {} }

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}
const ms = (value: number): string => value.toFixed(1)
const sleep = async (time: number) => { await new Promise((resolve) => setTimeout(resolve, time)) }

async function instance (env: Record<string, string>): Promise<{ app: FastifyInstance, base: string }> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO_PUBLISHER: 'off', DATA_DIR: 'memory://', DEMO_CONTACTS: '0', STREAMS_PER_CLIENT: '100000', ...env })
  const fastify = Fastify(serverOptions(config))
  await fastify.register(fp(app), { config })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  return { app: fastify, base: `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}` }
}

/** A browser's page: its stream URL and cookie (a fresh session unless one is given). */
async function page (base: string): Promise<{ url: string, cookie: string }> {
  const response = await fetch(`${base}/`)
  const html = await response.text()
  const connect = /(?:sse-connect|hx-sse:connect)="([^"]+)"/.exec(html)?.[1] ?? ''
  return { url: `${base}${connect.replace(/&amp;/g, '&')}`, cookie: response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') }
}

async function latency (): Promise<void> {
  const prefix = `flcbp${Date.now().toString(36)}:`
  const env = { REDIS_URL: redisUrl, CHANNEL_PREFIX: prefix, SECRET_KEYS: randomBytes(32).toString('base64url') }
  const a = await instance(env)
  const b = await instance(env)
  try {
    const watcher = await page(a.base)
    const observer = await SseTestClient.connect(watcher.url, { cookie: watcher.cookie })
    const shows = (text: string) => (c: SseTestClient) => (c.data(EVENT).at(-1) ?? '').includes(text)
    await observer.waitFor(shows('Only you are here'), 'the observer alone')
    const opens: number[] = []
    const closes: number[] = []
    for (let trial = 0; trial < TRIALS; trial++) {
      const visitor = await page(b.base)
      await sleep(150)
      const opened = performance.now()
      const client = await SseTestClient.connect(visitor.url, { cookie: visitor.cookie })
      await observer.waitFor(shows('2 people here'), 'the visitor')
      opens.push(performance.now() - opened)
      await sleep(150)
      const closed = performance.now()
      client.close()
      await observer.waitFor(shows('Only you are here'), 'the visitor gone')
      closes.push(performance.now() - closed)
    }
    observer.close()
    console.log(`presence update latency, 2 instances on Redis, ${TRIALS} trials (stream request on B → observer on A):`)
    console.log(`  open : p50 ${ms(percentile(opens, 50))} ms, p99 ${ms(percentile(opens, 99))} ms, max ${ms(Math.max(...opens))} ms`)
    console.log(`  close: p50 ${ms(percentile(closes, 50))} ms, p99 ${ms(percentile(closes, 99))} ms, max ${ms(Math.max(...closes))} ms`)
  } finally {
    await Promise.all([a.app.close(), b.app.close()])
    await deleteRedisKeys(redisUrl, prefix)
  }
}

async function footprint (label: string, holders: Array<(i: number) => boolean>): Promise<void> {
  const prefix = `flcbp${Date.now().toString(36)}${randomBytes(2).toString('hex')}:`
  const ttlMs = 30_000
  const redis = new Redis(redisUrl)
  const nodes = await Promise.all(holders.map(async (_, n) => {
    const store = await RedisPresenceStore.open({ url: redisUrl, prefix, ttlMs, connectionName: `flc-bench-presence-${n}`, logger })
    return new Presence({ store, ttlMs, logger, onChange () {} })
  }))
  try {
    const started = performance.now()
    for (let i = 0; i < SESSIONS; i++) {
      for (const [n, holds] of holders.entries()) if (holds(i)) nodes[n]?.enter(['contacts'], presenceMember(`session-${i}`))
    }
    while ((await nodes[0]!.count('contacts')) < SESSIONS) await sleep(20)
    const entered = performance.now() - started
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      keys.push(...found)
      cursor = next
    } while (cursor !== '0')
    const usage = await Promise.all(keys.map(async (key) => Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))))
    const total = usage.reduce((sum, bytes) => sum + bytes, 0)
    const { set, holders: holderKey } = presenceKeys(prefix, 'contacts')
    const renewStart = performance.now()
    await Promise.all(nodes.map(async (node) => await node.refresh()))
    const renew = performance.now() - renewStart
    console.log(`${SESSIONS} present sessions, ${label}: ${keys.length} keys, ${(total / 1024 / 1024).toFixed(2)} MiB (${Math.round(total / SESSIONS)} B/session; ` +
      `set ${await redis.zcard(set)} members, holders ${await redis.zcard(holderKey)}); entered in ${ms(entered)} ms; one renewal of all: ${ms(renew)} ms`)
  } finally {
    await Promise.all(nodes.map(async (node) => await node.close()))
    await deleteRedisKeys(redisUrl, prefix)
    redis.disconnect()
  }
}

async function main (): Promise<void> {
  console.log(`loadavg before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  await latency()
  await footprint('one instance', [() => true])
  await footprint('two instances, split', [(i) => i % 2 === 0, (i) => i % 2 === 1])
  await footprint('two instances, every session on both', [() => true, () => true])
  console.log(`loadavg after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
}

await main()
