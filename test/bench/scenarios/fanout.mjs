// Scenario 1, SSE fan-out: N clients on the notification stream, messages published
// through Redis at a fixed rate and then as fast as the service delivers. The product and
// both baselines (bare node:http ceiling, seed design) run behind the same load client.
import { Publisher } from '../lib/publisher.mjs'
import { SseLoad } from '../lib/sse-load.mjs'
import { CLIENT_CORE, HOST, startServer } from '../lib/servers.mjs'
import { cpuMeter, procStats, sleep } from '../lib/procs.mjs'

const WINDOW = 16 // messages in flight during saturation (see Publisher.windowed)

// One client runs at 5 msg/s: below the seed loop's 10 msg/s ceiling, so the seed's figure
// shows its polling delay rather than a growing backlog.
export function fanoutPlan (quick) {
  return quick
    ? {
        cells: [
          { clients: 1, rate: 5, fixedMs: 3_000, saturate: false },
          { clients: 200, rate: 20, fixedMs: 2_000, saturate: true, satMs: 2_500 },
          { clients: 1_000, rate: 5, fixedMs: 2_000, saturate: true, satMs: 2_500 }
        ],
        warmupMs: 500,
        measureAfterMs: 700,
        drainMs: 2_000
      }
    : {
        cells: [
          { clients: 1, rate: 5, fixedMs: 30_000, saturate: false },
          { clients: 1_000, rate: 20, fixedMs: 15_000, saturate: true, satMs: 12_000 },
          { clients: 10_000, rate: 5, fixedMs: 15_000, saturate: true, satMs: 12_000 }
        ],
        warmupMs: 2_000,
        measureAfterMs: 2_000,
        drainMs: 3_000
      }
}

/** Why a server kind cannot hold `clients` connections here, or null when it can. */
function notRunnable (ctx, kind, clients) {
  if (kind !== 'seed') return null
  // The seed design holds a client socket AND a Redis connection per client.
  const fds = 2 * clients + 64
  if (fds > ctx.openFilesLimit) return `needs ~${fds} open files (2 per client), over the ${ctx.openFilesLimit} per-process cap`
  if (clients + ctx.redis.connectedClients + 16 > ctx.redis.maxclients) return `needs ${clients} Redis connections, over Redis maxclients ${ctx.redis.maxclients}`
  return null
}

export function serverEnv (ctx, kind, prefix, extra = {}) {
  const env = { CHANNEL_PREFIX: prefix, ...extra }
  if (kind === 'ours') Object.assign(env, ctx.oursEnv())
  return env
}

async function drain (load, expected, timeoutMs) {
  const deadline = performance.now() + timeoutMs
  while (load.delivered < expected && performance.now() < deadline) await load.nextProgress(100)
}

function cpuOf (usage, server, ctx, load) {
  const client = load.pids.reduce((sum, pid) => sum + (usage[pid] ?? 0), 0) + (usage[process.pid] ?? 0)
  return { server: usage[server.pid], redis: usage[ctx.redis.pid], client, foreign: usage.foreign }
}

function latencyOf (histogram, missing) {
  return {
    p50: histogram.percentile(50, missing),
    p99: histogram.percentile(99, missing),
    max: missing > 0 ? Infinity : histogram.max,
    mean: histogram.mean(),
    samples: histogram.total
  }
}

/**
 * The demo page's stream as a browser opens it: GET /, its sse-connect path (started live: no
 * lastEventId) and its cookies (the session of its private channel).
 */
async function pageStreamTarget (server) {
  const response = await fetch(`http://${HOST}:${server.port}/`, { signal: AbortSignal.timeout(10_000) })
  const html = await response.text()
  const connect = /(?:sse-connect|hx-sse:connect)="([^"]+)"/.exec(html)?.[1]
  if (response.status !== 200 || connect === undefined) throw new Error(`GET / answered ${response.status} without a page stream`)
  const path = connect.replace(/&amp;/g, '&').replace(/&lastEventId=[^&]*/, '')
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  return { path, headers: { cookie } }
}

/**
 * One cell. target: 'own' (the notification component's own route /notification/, or the
 * baseline's one stream) or 'page' (the product's demo page stream /live/?s=…, every client
 * with that page's token and cookie).
 */
export async function runCell (ctx, kind, cell, plan, target = 'own') {
  const prefix = `${ctx.runId}_${kind}${target === 'page' ? 'page' : ''}_${cell.clients}_`
  const server = await startServer(kind, { ctx, env: serverEnv(ctx, kind, prefix), profileName: `fanout-${cell.clients}` })
  const workers = ctx.clientWorkers ?? Math.max(1, Math.ceil(cell.clients / 5_000))
  const load = await SseLoad.start({ count: workers, core: CLIENT_CORE })
  const publisher = new Publisher(ctx.redisUrl, `${prefix}notifications_channel`)
  const pids = () => [server.pid, ctx.redis.pid, ...load.pids, process.pid]
  const result = { kind, clients: cell.clients, rate: cell.rate, workers }
  try {
    await sleep(500)
    const rssBefore = procStats(server.pid).rssBytes
    if (target === 'page') {
      const page = await pageStreamTarget(server)
      result.connect = await load.connect({ host: HOST, port: server.port, paths: Array(cell.clients).fill(page.path), headers: Array(cell.clients).fill(page.headers), count: cell.clients })
    } else {
      result.connect = await load.connect({ host: HOST, port: server.port, path: '/notification/', count: cell.clients })
    }
    const connected = result.connect.ok
    if (connected === 0) throw new Error(`no connection succeeded: ${JSON.stringify(result.connect.outcomes)}`)
    await sleep(500)
    const rssConnected = procStats(server.pid).rssBytes
    result.rss = { before: rssBefore, connected: rssConnected, perConnection: (rssConnected - rssBefore) / connected }
    await load.streamProgress(5)

    // Warm-up: JIT, connection pools, first renders. Not measured.
    await load.phase(publisher.nextSeq)
    const warm = await publisher.fixedRate(cell.rate, plan.warmupMs)
    await drain(load, warm.published * connected, plan.drainMs)

    if (cell.saturate) {
      await load.phase(publisher.nextSeq)
      let meter = null
      const sat = await publisher.windowed({
        load,
        clients: connected,
        window: WINDOW,
        durationMs: cell.satMs,
        measureAfterMs: plan.measureAfterMs,
        onMeasureStart: () => { meter = cpuMeter(pids()) }
      })
      const cpu = cpuOf(meter(), server, ctx, load)
      const expected = sat.published * connected
      await drain(load, expected, plan.drainMs)
      const report = await load.report()
      result.saturation = {
        window: WINDOW,
        published: sat.published,
        deliveriesPerSec: sat.measuredDeliveries / sat.measuredSeconds,
        messagesPerSec: sat.measuredDeliveries / sat.measuredSeconds / connected,
        measuredSeconds: sat.measuredSeconds,
        latencyUs: latencyOf(report.histogram, Math.max(0, expected - report.delivered)),
        cpu,
        closedByServer: report.closedByServer
      }
      ctx.log(`    saturation: ${Math.round(result.saturation.deliveriesPerSec)} deliveries/s, server CPU ${Math.round(cpu.server * 100)}%, client CPU ${Math.round(cpu.client * 100)}%`)
    }

    await load.phase(publisher.nextSeq)
    const meter = cpuMeter(pids())
    const sent = await publisher.fixedRate(cell.rate, cell.fixedMs)
    const cpu = cpuOf(meter(), server, ctx, load)
    const expected = sent.published * connected
    await drain(load, expected, plan.drainMs)
    const report = await load.report()
    const missing = Math.max(0, expected - report.delivered)
    result.fixed = {
      published: sent.published,
      seconds: sent.seconds,
      expected,
      delivered: report.delivered,
      undelivered: missing,
      offeredDeliveriesPerSec: expected / sent.seconds,
      latencyUs: latencyOf(report.histogram, missing),
      cpu,
      closedByServer: report.closedByServer,
      open: report.open
    }
    result.rss.end = procStats(server.pid).rssBytes
    const l = result.fixed.latencyUs
    ctx.log(`    ${cell.rate} msg/s: p50 ${(l.p50 / 1000).toFixed(2)} ms, p99 ${(l.p99 / 1000).toFixed(2)} ms, undelivered ${missing}, server CPU ${Math.round(cpu.server * 100)}%, client CPU ${Math.round(cpu.client * 100)}%`)

    if (kind === 'ours' && cell.clients === 1) {
      // The same phase through the product's own publish path (one Redis round trip).
      await publisher.useProductPublish(ctx.oursRoot, prefix)
      await load.phase(publisher.nextSeq)
      const productSent = await publisher.fixedRate(cell.rate, cell.fixedMs)
      const productExpected = productSent.published * connected
      await drain(load, productExpected, plan.drainMs)
      const productReport = await load.report()
      const productMissing = Math.max(0, productExpected - productReport.delivered)
      result.fixedProduct = { published: productSent.published, undelivered: productMissing, latencyUs: latencyOf(productReport.histogram, productMissing) }
      const p = result.fixedProduct.latencyUs
      ctx.log(`    ${cell.rate} msg/s via the product's publish: p50 ${(p.p50 / 1000).toFixed(2)} ms, p99 ${(p.p99 / 1000).toFixed(2)} ms, undelivered ${productMissing}`)
    }
  } catch (error) {
    result.error = error.message
    ctx.log(`    ${kind} failed: ${error.message}\n${server.stderr().slice(-1500)}`)
  } finally {
    publisher.close()
    await load.close()
    await server.stop()
  }
  return result
}

export async function fanout (ctx) {
  const plan = fanoutPlan(ctx.quick)
  if (ctx.fanoutClients) {
    // The matched loads: 20 msg/s up to 1,000 clients, 5 msg/s from 10,000.
    const { fixedMs, satMs } = plan.cells[plan.cells.length - 1]
    plan.cells = ctx.fanoutClients.map((clients) => ({ clients, rate: clients >= 10_000 || clients === 1 ? 5 : 20, fixedMs, saturate: clients > 1, satMs }))
  }
  const cells = []
  for (const cell of plan.cells) {
    for (const kind of ctx.kinds(['bare', 'ours', 'seed'])) {
      const reason = notRunnable(ctx, kind, cell.clients)
      if (reason) {
        ctx.log(`  fanout ${kind} × ${cell.clients}: not runnable: ${reason}`)
        cells.push({ kind, clients: cell.clients, rate: cell.rate, notRunnable: reason })
        continue
      }
      ctx.log(`  fanout ${kind} × ${cell.clients} clients`)
      cells.push(await runCell(ctx, kind, cell, plan))
    }
  }
  return { plan, cells }
}
