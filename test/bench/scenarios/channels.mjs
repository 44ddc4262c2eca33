// channels: the broker's cost as the number of live channels grows (1 → 10,000), on one Redis
// and on a Redis Cluster (3 masters + 3 replicas, started for the run). One subscribing process
// (the product's RedisBroker from dist/, pinned to the server core) holds every channel; the
// publisher sends a fixed total rate spread round-robin over the channels through the product's
// publish script. Reported: the subscribing process's CPU per delivery, Redis's CPU (the shared
// Redis, or all six cluster nodes), and how long subscribing all channels took.
import { Cluster, Redis } from 'ioredis'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { CLIENT_CORE, SERVER_CORE } from '../lib/servers.mjs'
import { cpuMeter, sleep, spawnPinned, stopChild } from '../lib/procs.mjs'
import { startRedisCluster } from '../lib/redis-cluster.mjs'
import { fmt, fmtRatio, ratio, table } from '../lib/report.mjs'

const SERVER = fileURLToPath(new URL('../servers/channels.mjs', import.meta.url))

export function channelsPlan (quick) {
  return quick
    ? { counts: [1, 100, 1000], rate: 1000, measureMs: 3000, warmupMs: 1000 }
    : { counts: [1, 10, 100, 1000, 10_000], rate: 2000, measureMs: 8000, warmupMs: 2000 }
}

function ask (child, cmd) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`channels server did not answer ${cmd}`)), 120_000)
    const onMessage = (msg) => {
      if (msg.type === 'count' || msg.type === 'ready') { clearTimeout(timer); child.off('message', onMessage); resolve(msg) }
    }
    child.on('message', onMessage)
    if (cmd !== 'ready') child.send({ cmd })
  })
}

async function publishFor (store, channels, rate, ms) {
  const interval = 1000 / rate
  const start = performance.now()
  let sent = 0
  let pending = []
  while (performance.now() - start < ms) {
    const due = start + sent * interval
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    pending.push(store.publish(`c${sent % channels}`, `{"n":${sent}}`))
    sent++
    if (pending.length >= 500) { await Promise.all(pending); pending = [] }
  }
  await Promise.all(pending)
  return sent
}

async function runCell (ctx, backend, channels, plan) {
  const prefix = `${ctx.runId}_ch${backend.name}${channels}_`
  const env = { PATH: process.env.PATH, BENCH_ROOT: ctx.oursRoot, BENCH_PREFIX: prefix, BENCH_CHANNELS: String(channels), ...backend.env }
  const child = spawnPinned(`channels-${channels}`, SERVER_CORE, process.execPath, [SERVER], { env, ipc: true, quiet: true })
  const result = { backend: backend.name, channels }
  try {
    const ready = await ask(child, 'ready')
    result.subscribeMs = ready.subscribeMs
    const { RedisChannelStore } = await import(`${ctx.oursRoot}/dist/src/live/broker/redis-store.js`)
    const store = new RedisChannelStore(backend.client, prefix, 100, backend.sharded)
    await publishFor(store, channels, plan.rate, plan.warmupMs)
    const before = (await ask(child, 'count')).received
    const meter = cpuMeter([child.pid, ...backend.pids, process.pid])
    const sent = await publishFor(store, channels, plan.rate, plan.measureMs)
    await sleep(300)
    const usage = meter()
    const delivered = (await ask(child, 'count')).received - before
    const seconds = plan.measureMs / 1000
    const redisCpu = backend.pids.reduce((sum, pid) => sum + (usage[pid] ?? 0), 0)
    Object.assign(result, {
      sent,
      delivered,
      serverCpu: usage[child.pid],
      serverUsPerDelivery: usage[child.pid] * seconds / Math.max(1, delivered) * 1e6,
      redisCpu,
      redisUsPerMessage: redisCpu * seconds / Math.max(1, sent) * 1e6,
      foreignCpu: usage.foreign
    })
    ctx.log(`    ${backend.name} × ${channels} channels: subscribed in ${Math.round(result.subscribeMs)} ms; ${delivered}/${sent} delivered; server ${fmt(result.serverUsPerDelivery)} µs/delivery, Redis ${fmt(result.redisUsPerMessage)} µs/message`)
  } catch (error) {
    result.error = error.message
    ctx.log(`    ${backend.name} × ${channels} failed: ${error.message}\n${child.stderrTail().slice(-800)}`)
  } finally {
    try { child.send({ cmd: 'close' }) } catch {}
    await stopChild(child, 5000)
  }
  return result
}

export function channelsTable (result) {
  const rows = [['Redis', 'channels', 'subscribe all', 'delivered', 'server CPU µs/delivery', 'vs 1 channel', 'Redis CPU µs/message', 'vs 1 channel', 'other load']]
  for (const backend of ['redis', 'cluster']) {
    const cells = result.cells.filter((c) => c.backend === backend)
    const base = cells.find((c) => !c.error)
    for (const c of cells) {
      if (c.error) { rows.push([backend, String(c.channels), `failed: ${c.error}`]); continue }
      rows.push([backend === 'redis' ? 'one Redis' : 'cluster (3+3)', String(c.channels), `${Math.round(c.subscribeMs)} ms`, `${c.delivered}/${c.sent}`,
        fmt(c.serverUsPerDelivery), fmtRatio(ratio(c.serverUsPerDelivery, base?.serverUsPerDelivery)),
        fmt(c.redisUsPerMessage), fmtRatio(ratio(c.redisUsPerMessage, base?.redisUsPerMessage)), `${Math.round(c.foreignCpu * 100)}% of a core`])
    }
  }
  return { title: `Channel-count sweep: one subscribing process, ${result.plan.rate} msg/s spread over the channels (shared machine: read the ratios; cluster CPU = all 6 nodes)`, rows }
}

export async function channels (ctx) {
  if (!ctx.hasOurs) return { error: 'the product is not built' }
  const plan = channelsPlan(ctx.quick)
  const cluster = await startRedisCluster(join(ctx.tmpDir, 'cluster'))
  const plain = new Redis(ctx.redisUrl)
  const clustered = new Cluster(cluster.urls.map((u) => { const url = new URL(u); return { host: url.hostname, port: Number(url.port) } }))
  const backends = [
    { name: 'redis', env: { REDIS_URL: ctx.redisUrl }, client: plain, sharded: false, pids: [ctx.redis.pid] },
    { name: 'cluster', env: { REDIS_CLUSTER_NODES: cluster.urls.join(',') }, client: clustered, sharded: true, pids: cluster.pids }
  ]
  const cells = []
  try {
    for (const backend of backends) {
      for (const count of plan.counts) {
        ctx.log(`  channels: ${backend.name} × ${count}`)
        cells.push(await runCell(ctx, backend, count, plan))
      }
    }
  } finally {
    plain.disconnect()
    clustered.disconnect()
  }
  const result = { plan, cells, clusterVersion: cluster.version, client: CLIENT_CORE }
  ctx.log(`\n${table(channelsTable(result).rows)}`)
  return result
}
