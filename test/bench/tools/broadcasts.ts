// A write reaching every browser: N page streams spread over P app instances sharing Redis and
// PostgreSQL; each write goes through one instance's contacts repository, and the time from the
// write's start to each page receiving (a) the new row (new_contacts, sent at once) and (b) the
// new count (contact_count, coalesced: sent at the end of a 100 ms window) is recorded.
// Also: renders per change per component, which must equal the number of processes.
// The instances and the page clients share this one Node process (real sockets, one event
// loop), so latencies include the clients' own parsing: read them as an upper bound.
//   node --import tsx test/bench/tools/broadcasts.ts [--pages 1000] [--writes 30] [--processes 2]
// The measurement, with separate server processes and a hand-made baseline side by side, is the
// benchmark scenario `npm run bench -- broadcasts` (test/bench/scenarios/broadcasts.mjs).
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { performance } from 'node:perf_hooks'
import app from '../../../src/app.js'
import { loadConfig } from '../../../src/config.js'
import { serverOptions } from '../../../src/http/server-options.js'
import { SseTestClient } from '../../helpers/sse-client.js'
import { pageStream } from '../../helpers/components.js'
// @ts-expect-error: plain .mjs helpers of the benchmark suite
import { createThrowawayDatabase, dropRedisKeysAtCleanup } from '../lib/services.mjs'
// @ts-expect-error: plain .mjs helpers of the benchmark suite
import { cleanupAll } from '../lib/procs.mjs'

const option = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const PAGES = option('--pages', 1000)
const WRITES = option('--writes', 30)
const PROCESSES = option('--processes', 2)
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

async function main (): Promise<void> {
  const run = `flcbb${Date.now().toString(36)}`
  const databaseUrl = await createThrowawayDatabase(postgresUrl, `flc_bench_${run}`) as string
  dropRedisKeysAtCleanup(redisUrl, `${run}_`)
  const config = loadConfig({}, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DEMO_PUBLISHER: 'off',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    CHANNEL_PREFIX: `${run}_:`,
    SECRET_KEYS: 'b'.repeat(40),
    STREAMS_PER_CLIENT: 100000,
    CONTACTS_CACHE_TTL_MS: 0
  })
  const apps: FastifyInstance[] = []
  try {
    for (let i = 0; i < PROCESSES; i++) {
      const instance = Fastify(serverOptions(config))
      await instance.register(fp(app), { config })
      await instance.listen({ port: 0, host: '127.0.0.1' })
      apps.push(instance)
    }
    const streams = await Promise.all(apps.map(async (a) => await pageStream(a)))
    const clients: SseTestClient[] = []
    for (let i = 0; i < PAGES; i++) {
      const stream = streams[i % PROCESSES]!
      clients.push(await SseTestClient.connect(stream.url, stream.headers))
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    const rowLatency: number[] = []
    const countLatency: number[] = []
    for (let w = 1; w <= WRITES; w++) {
      const started = performance.now()
      const pending = clients.flatMap((client) => [
        [client, 'broadcast.new_contacts', `Bench ${w}<`, rowLatency],
        [client, 'broadcast.contact_count', `data-contact-count="${w}"`, countLatency]
      ] as const).map(async ([client, event, text, into]) => {
        await client.waitFor((c) => c.data(event).some((html) => html.includes(text)), `${event} ${w}`, 60_000)
        into.push(performance.now() - started)
      })
      await apps[w % PROCESSES]!.contacts.create({ firstName: 'Bench', lastName: String(w), email: `bench${w}@example.com` })
      await Promise.all(pending)
    }
    const renders = apps.map((a) => a.broadcasts.stats().renders)
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`
    console.log(`pages: ${PAGES} over ${PROCESSES} processes, writes: ${WRITES} (sequential), deliveries: ${rowLatency.length + countLatency.length}`)
    console.log(`new row (item, sent at once):        p50 ${fmt(percentile(rowLatency, 50))}  p99 ${fmt(percentile(rowLatency, 99))}`)
    console.log(`count (replace, coalesced 100 ms):   p50 ${fmt(percentile(countLatency, 50))}  p99 ${fmt(percentile(countLatency, 99))}`)
    const perChange = renders.reduce((a, b) => a + b, 0) / (WRITES * 2)
    console.log(`renders per change per component: ${perChange.toFixed(2)} (processes: ${PROCESSES}; per process: ${renders.join(', ')} for ${WRITES} writes × 2 components)`)
    for (const client of clients) client.close()
  } finally {
    await Promise.all(apps.map(async (a) => await a.close()))
    await cleanupAll()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
