// scale: the product as it runs in production, several instances behind nginx on one Redis,
// against one instance reached directly. Same clients, same messages: saturated deliveries/s,
// latency at a fixed 20 msg/s, and the serving side's CPU per delivery (every instance plus
// nginx). Everything of the serving side shares the server core: on this 2-core machine more
// instances cannot add CPU, so the figures show what the proxy and the extra instances COST
// per delivery, not how far more cores would carry it.
import { join } from 'node:path'
import { CLIENT_CORE, HOST, SERVER_CORE, startServer } from '../lib/servers.mjs'
import { SseLoad } from '../lib/sse-load.mjs'
import { Publisher } from '../lib/publisher.mjs'
import { cpuMeter, sleep } from '../lib/procs.mjs'
import { startNginx } from '../lib/nginx.mjs'
import { fmt, fmtRatio, ratio, table } from '../lib/report.mjs'
import { serverEnv } from './fanout.mjs'

const WINDOW = 16

export function scalePlan (quick) {
  return quick
    ? { clients: 200, rate: 20, warmupMs: 2000, satMs: 5000, measureAfterMs: 1500, fixedMs: 4000, drainMs: 5000 }
    : { clients: 1000, rate: 20, warmupMs: 3000, satMs: 15_000, measureAfterMs: 4000, fixedMs: 10_000, drainMs: 10_000 }
}

const CONFIGS = [
  { name: 'direct, 1 instance', instances: 1, proxy: false },
  { name: 'nginx, 1 instance', instances: 1, proxy: true },
  { name: 'nginx, 2 instances', instances: 2, proxy: true },
  { name: 'nginx, 3 instances', instances: 3, proxy: true }
]

async function drain (load, expected, timeoutMs) {
  const deadline = performance.now() + timeoutMs
  while (load.delivered < expected && performance.now() < deadline) await load.nextProgress(100)
}

async function runConfig (ctx, config, plan) {
  const prefix = `${ctx.runId}_scale${config.instances}${config.proxy ? 'p' : 'd'}_`
  const servers = []
  let nginx = null
  const load = await SseLoad.start({ count: ctx.clientWorkers ?? 1, core: CLIENT_CORE })
  const publisher = new Publisher(ctx.redisUrl, `${prefix}notifications_channel`)
  const result = { name: config.name, instances: config.instances, proxy: config.proxy, clients: plan.clients }
  try {
    for (let i = 0; i < config.instances; i++) {
      servers.push(await startServer('ours', { ctx, env: serverEnv(ctx, 'ours', prefix, { TRUST_PROXY: '127.0.0.1' }), profileName: `scale-${config.instances}-${i}` }))
    }
    if (config.proxy) nginx = await startNginx({ ports: servers.map((s) => s.port), dir: join(ctx.tmpDir, `nginx-${prefix}`), core: SERVER_CORE })
    await publisher.useProductPublish(ctx.oursRoot, prefix)
    const servingPids = [...servers.map((s) => s.pid), ...(nginx ? [nginx.pid] : [])]
    const pids = () => [...servingPids, ctx.redis.pid, ...load.pids, process.pid]
    await sleep(500)
    const connect = await load.connect({ host: HOST, port: nginx ? nginx.port : servers[0].port, path: '/notification/', count: plan.clients })
    const connected = connect.ok
    if (connected === 0) throw new Error(`no connection succeeded: ${JSON.stringify(connect.outcomes)}`)
    result.connected = connected
    await sleep(500)
    await load.streamProgress(5)

    await load.phase(publisher.nextSeq)
    const warm = await publisher.fixedRate(plan.rate, plan.warmupMs)
    await drain(load, warm.published * connected, plan.drainMs)

    await load.phase(publisher.nextSeq)
    let meter = null
    const sat = await publisher.windowed({ load, clients: connected, window: WINDOW, durationMs: plan.satMs, measureAfterMs: plan.measureAfterMs, onMeasureStart: () => { meter = cpuMeter(pids()) } })
    const usage = meter()
    await drain(load, sat.published * connected, plan.drainMs)
    const deliveriesPerSec = sat.measuredDeliveries / sat.measuredSeconds
    const servingCpu = servingPids.reduce((sum, pid) => sum + (usage[pid] ?? 0), 0)
    result.saturation = {
      deliveriesPerSec,
      servingCpu,
      nginxCpu: nginx ? usage[nginx.pid] : 0,
      redisCpu: usage[ctx.redis.pid],
      foreignCpu: usage.foreign,
      cpuUsPerDelivery: servingCpu / deliveriesPerSec * 1e6
    }

    await load.phase(publisher.nextSeq)
    const sent = await publisher.fixedRate(plan.rate, plan.fixedMs)
    const expected = sent.published * connected
    await drain(load, expected, plan.drainMs)
    const report = await load.report()
    const missing = Math.max(0, expected - report.delivered)
    result.fixed = { rate: plan.rate, undelivered: missing, p50Us: report.histogram.percentile(50, missing), p99Us: report.histogram.percentile(99, missing) }
    ctx.log(`    ${config.name}: saturated ${Math.round(deliveriesPerSec)} deliveries/s (serving CPU ${Math.round(servingCpu * 100)}%, ${fmt(result.saturation.cpuUsPerDelivery)} µs/delivery); ${plan.rate} msg/s p99 ${(result.fixed.p99Us / 1000).toFixed(2)} ms, undelivered ${missing}`)
  } catch (error) {
    result.error = error.message
    ctx.log(`    ${config.name} failed: ${error.message}\n${servers.map((s) => s.stderr().slice(-800)).join('\n')}`)
  } finally {
    publisher.close()
    await load.close()
    if (nginx) await nginx.stop()
    await Promise.all(servers.map((s) => s.stop()))
  }
  return result
}

export function scaleTable (scale) {
  const base = scale.configs.find((c) => !c.proxy && !c.error)
  const rows = [['setup', 'deliveries/s (saturated)', 'vs direct', 'serving CPU µs/delivery', 'vs direct', `p99 at ${scale.plan.rate} msg/s`, 'vs direct', 'undelivered', 'other load on the machine']]
  for (const c of scale.configs) {
    if (c.error) { rows.push([c.name, `failed: ${c.error}`]); continue }
    rows.push([
      c.name,
      fmt(Math.round(c.saturation.deliveriesPerSec)),
      fmtRatio(ratio(c.saturation.deliveriesPerSec, base?.saturation.deliveriesPerSec)),
      fmt(c.saturation.cpuUsPerDelivery),
      fmtRatio(ratio(c.saturation.cpuUsPerDelivery, base?.saturation.cpuUsPerDelivery)),
      `${(c.fixed.p99Us / 1000).toFixed(2)} ms`,
      fmtRatio(ratio(c.fixed.p99Us, base?.fixed.p99Us)),
      String(c.fixed.undelivered),
      `${Math.round(c.saturation.foreignCpu * 100)}% of a core`
    ])
  }
  return { title: `Scale: instances behind nginx on one Redis vs one instance direct (${scale.plan.clients} clients; the whole serving side on one core; shared machine: read the ratios)`, rows }
}

export async function scale (ctx) {
  if (!ctx.hasOurs) return { error: 'the product is not built' }
  const plan = scalePlan(ctx.quick)
  const configs = []
  for (const config of CONFIGS) {
    ctx.log(`  scale: ${config.name}`)
    configs.push(await runConfig(ctx, config, plan))
  }
  const result = { plan, configs }
  ctx.log(`\n${table(scaleTable(result).rows)}`)
  return result
}
