// Scenario "pages": page streams against today's one-stream-per-component design.
// A. N clients × 3 live components: three streams per client (GET /c/a, /c/b, /c/c) versus one
//    page stream per client carrying bench_a, bench_b, bench_c. Messages at a fixed total
//    rate, round-robin over the three channels; every message reaches every client once.
//    Figures: server CPU per delivery, p50/p99, RSS per client.
// B. N clients, each a page stream with one shared channel and a private channel of its own,
//    at equal deliveries/s: broadcast (shared channel, rate r: r×N deliveries/s) versus
//    private fan-out (r×N messages/s, each to one client's private channel).
// Messages are published the way the product does (its Lua store script: one round trip).
// Three streams per client hold 3 sockets per client, so A's side-by-side size stays under the
// 20,000 open files a process may hold.
import { now } from '../lib/clock.mjs'
import { Publisher } from '../lib/publisher.mjs'
import { SseLoad } from '../lib/sse-load.mjs'
import { CLIENT_CORE, HOST, startServer } from '../lib/servers.mjs'
import { cpuMeter, procStats, sleep } from '../lib/procs.mjs'

export function pagesPlan (quick) {
  return quick
    ? { clients: 300, rate: 15, fixedMs: 3_000, warmupMs: 500, drainMs: 2_000, privateClients: 300, broadcastRate: 5, phaseMs: 3_000 }
    : { clients: 5_000, rate: 15, fixedMs: 15_000, warmupMs: 2_000, drainMs: 3_000, privateClients: 10_000, broadcastRate: 1, phaseMs: 15_000 }
}

/** Publishes through the product's store, on a channel chosen per message. */
class ChannelPublisher extends Publisher {
  constructor (redisUrl, pick) {
    super(redisUrl, 'unused')
    this.pick = pick
  }

  publishOne () {
    const seq = ++this.seq
    const t = now()
    const payload = `{"id":${seq},"title":"Bench ${seq}","message":"t:${t.toFixed(3)} s:${seq}","color":"blue"}`
    this.inFlight.push(this.store.publish(this.pick(seq), payload))
    if (this.inFlight.length >= 1000) this.flush()
    return seq
  }
}

async function drain (load, expected, timeoutMs) {
  const deadline = performance.now() + timeoutMs
  while (load.delivered < expected && performance.now() < deadline) await load.nextProgress(100)
}

function latencyOf (histogram, missing) {
  return { p50: histogram.percentile(50, missing), p99: histogram.percentile(99, missing), samples: histogram.total }
}

async function pagePaths (port, channels, n) {
  const response = await fetch(`http://${HOST}:${port}/bench/paths?channels=${channels}&n=${n}`)
  if (!response.ok) throw new Error(`/bench/paths answered ${response.status}`)
  return await response.json()
}

async function withServer (ctx, name, run) {
  const prefix = `${ctx.runId}_pages_${name}_`
  const server = await startServer('pages', {
    ctx,
    env: { CHANNEL_PREFIX: prefix, FLC_ROOT: ctx.oursRoot, SECRET_KEYS: 'bench-secret-key-0123456789abcdefghijkl' },
    profileName: `pages-${name}`
  })
  try {
    return await run(server, prefix)
  } finally {
    await server.stop()
  }
}

/** One phase at a fixed rate: deliveries, latency, server CPU per delivery. */
async function fixedPhase (ctx, server, load, publisher, rate, ms, connectedClients, plan) {
  await load.phase(publisher.nextSeq)
  const meter = cpuMeter([server.pid, ctx.redis.pid, ...load.pids, process.pid])
  const sent = await publisher.fixedRate(rate, ms)
  const usage = meter()
  const expected = sent.published * connectedClients
  await drain(load, expected, plan.drainMs)
  const report = await load.report()
  const missing = Math.max(0, expected - report.delivered)
  const serverCpuSeconds = usage[server.pid] * sent.seconds
  return {
    published: sent.published,
    deliveries: report.delivered,
    undelivered: missing,
    deliveriesPerSec: expected / sent.seconds,
    serverCpu: usage[server.pid],
    cpuMicrosPerDelivery: report.delivered > 0 ? serverCpuSeconds * 1e6 / report.delivered : null,
    clientCpu: load.pids.reduce((sum, pid) => sum + (usage[pid] ?? 0), 0),
    foreignCpu: usage.foreign,
    latencyUs: latencyOf(report.histogram, missing),
    closedByServer: report.closedByServer
  }
}

async function components (ctx, design, plan) {
  return await withServer(ctx, design, async (server, prefix) => {
    const n = plan.clients
    const connections = design === 'streams' ? 3 * n : n
    const load = await SseLoad.start({ count: Math.max(1, Math.ceil(connections / 5_000)), core: CLIENT_CORE })
    const channels = ['bench_a', 'bench_b', 'bench_c']
    const publisher = new ChannelPublisher(ctx.redisUrl, (seq) => channels[seq % 3])
    await publisher.useProductPublish(ctx.oursRoot, prefix)
    try {
      await sleep(300)
      const rssBefore = procStats(server.pid).rssBytes
      let ok = 0
      if (design === 'streams') {
        for (const c of ['a', 'b', 'c']) ok += (await load.connect({ host: HOST, port: server.port, path: `/c/${c}`, count: n })).ok
      } else {
        const paths = await pagePaths(server.port, 'a,b,c', n)
        ok = (await load.connect({ host: HOST, port: server.port, paths, count: n })).ok
      }
      if (ok !== connections) throw new Error(`${ok} of ${connections} connections opened`)
      await sleep(500)
      const rssConnected = procStats(server.pid).rssBytes
      await load.streamProgress(5)
      // Warm-up (JIT, first renders), then the measured phase. Each message reaches n clients.
      await load.phase(publisher.nextSeq)
      const warm = await publisher.fixedRate(plan.rate, plan.warmupMs)
      await drain(load, warm.published * n, plan.drainMs)
      const fixed = await fixedPhase(ctx, server, load, publisher, plan.rate, plan.fixedMs, n, plan)
      ctx.log(`    ${design}: ${connections} connections, ${fixed.cpuMicrosPerDelivery?.toFixed(2)} µs server CPU/delivery, p50 ${(fixed.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(fixed.latencyUs.p99 / 1000).toFixed(2)} ms, undelivered ${fixed.undelivered}`)
      return { design, clients: n, connections, rssPerClient: (rssConnected - rssBefore) / n, fixed }
    } finally {
      publisher.close()
      await load.close()
    }
  })
}

async function privateFanout (ctx, plan) {
  return await withServer(ctx, 'private', async (server, prefix) => {
    const n = plan.privateClients
    const load = await SseLoad.start({ count: Math.max(1, Math.ceil(n / 5_000)), core: CLIENT_CORE })
    let target = 'bench_shared'
    const publisher = new ChannelPublisher(ctx.redisUrl, () => target)
    await publisher.useProductPublish(ctx.oursRoot, prefix)
    try {
      const rssBefore = procStats(server.pid).rssBytes
      const paths = await pagePaths(server.port, 'private', n)
      const ok = (await load.connect({ host: HOST, port: server.port, paths, count: n })).ok
      if (ok !== n) throw new Error(`${ok} of ${n} page streams opened`)
      await sleep(500)
      const rssPerClient = (procStats(server.pid).rssBytes - rssBefore) / n
      await load.streamProgress(5)
      // Warm-up on both paths.
      await load.phase(publisher.nextSeq)
      await publisher.fixedRate(plan.broadcastRate, plan.warmupMs)
      let next = 0
      const privateTarget = () => `bench_private:k${next++ % n}`
      const deliveriesPerSec = plan.broadcastRate * n
      const broadcast = await fixedPhase(ctx, server, load, publisher, plan.broadcastRate, plan.phaseMs, n, plan)
      publisher.pick = privateTarget
      const priv = await fixedPhase(ctx, server, load, publisher, deliveriesPerSec, plan.phaseMs, 1, plan)
      publisher.pick = () => target
      ctx.log(`    ${n} clients at ${deliveriesPerSec} deliveries/s: broadcast p99 ${(broadcast.latencyUs.p99 / 1000).toFixed(2)} ms, private p99 ${(priv.latencyUs.p99 / 1000).toFixed(2)} ms`)
      return { clients: n, deliveriesPerSec, rssPerClient, broadcast, private: priv }
    } finally {
      target = 'bench_shared'
      publisher.close()
      await load.close()
    }
  })
}

export async function pages (ctx) {
  const plan = pagesPlan(ctx.quick)
  const cells = []
  for (const design of ['streams', 'page']) {
    ctx.log(`  pages: ${plan.clients} clients × 3 components, ${design === 'streams' ? 'three streams each (today)' : 'one page stream each'}`)
    cells.push(await components(ctx, design, plan).catch((error) => ({ design, error: error.message })))
  }
  ctx.log(`  pages: ${plan.privateClients} clients, shared + private channel each`)
  const privateCell = await privateFanout(ctx, plan).catch((error) => ({ error: error.message }))
  return { plan, cells, private: privateCell }
}

const ms = (us) => (us === undefined || us === null ? '–' : us === Infinity ? '∞' : `${(us / 1000).toFixed(2)} ms`)

/** Tables and targets for the summary (see lib/summary.mjs). */
export function pagesTables (result, targets) {
  const rows = [['design', 'clients', 'connections', 'server µs CPU/delivery', 'p50', 'p99', 'RSS/client', 'undelivered']]
  for (const c of result.cells) {
    if (c.error) { rows.push([c.design, '', '', `failed: ${c.error}`, '', '', '', '']); continue }
    rows.push([c.design === 'streams' ? '3 streams per client (today)' : '1 page stream per client', String(c.clients), String(c.connections), c.fixed.cpuMicrosPerDelivery?.toFixed(2) ?? '–', ms(c.fixed.latencyUs.p50), ms(c.fixed.latencyUs.p99), `${(c.rssPerClient / 1024).toFixed(1)} KiB`, String(c.fixed.undelivered)])
  }
  const [streams, page] = result.cells
  if (streams?.fixed && page?.fixed) {
    const ratio = page.fixed.cpuMicrosPerDelivery / streams.fixed.cpuMicrosPerDelivery
    targets.push({ name: 'page stream CPU per delivery ≤ 1.1× one stream per component', value: `${ratio.toFixed(2)}×`, pass: ratio <= 1.1 })
  }
  const p = result.private
  if (p && !p.error) {
    rows.push(['private: broadcast phase', String(p.clients), String(p.clients), p.broadcast.cpuMicrosPerDelivery?.toFixed(2) ?? '–', ms(p.broadcast.latencyUs.p50), ms(p.broadcast.latencyUs.p99), `${(p.rssPerClient / 1024).toFixed(1)} KiB`, String(p.broadcast.undelivered)])
    rows.push(['private: private fan-out phase', String(p.clients), String(p.clients), p.private.cpuMicrosPerDelivery?.toFixed(2) ?? '–', ms(p.private.latencyUs.p50), ms(p.private.latencyUs.p99), '', String(p.private.undelivered)])
    const ratio = p.private.latencyUs.p99 / p.broadcast.latencyUs.p99
    targets.push({ name: `private fan-out p99 ≤ 2× broadcast p99 at ${p.deliveriesPerSec} deliveries/s`, value: `${ratio.toFixed(2)}×`, pass: ratio <= 2 })
  } else if (p?.error) {
    rows.push(['private', '', '', `failed: ${p.error}`, '', '', '', ''])
  }
  return { title: 'Page streams vs one stream per component; private fan-out vs broadcast', rows }
}
