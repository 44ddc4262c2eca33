// Scenario 2, idle connections: how many SSE connections one server process holds, and
// what each costs in RSS, against the bare node:http baseline. The open-files cap is
// 20,000 per process, so the load client is spread over several processes.
import { SseLoad } from '../lib/sse-load.mjs'
import { CLIENT_CORE, HOST, startServer } from '../lib/servers.mjs'
import { cpuMeter, procStats, sleep } from '../lib/procs.mjs'
import { serverEnv } from './fanout.mjs'

export function idlePlan (quick) {
  return quick
    ? { connections: 1_000, holdMs: 5_000, heartbeatMs: 1_000 }
    : { connections: 19_000, holdMs: 30_000, heartbeatMs: 5_000 }
}

async function hold (ctx, kind, plan) {
  const prefix = `${ctx.runId}_idle_${kind}_`
  // A short heartbeat so the hold also shows what keeping idle streams alive costs.
  const server = await startServer(kind, { ctx, env: serverEnv(ctx, kind, prefix, { SSE_HEARTBEAT_MS: String(plan.heartbeatMs) }), profileName: 'idle' })
  const workers = ctx.clientWorkers ?? Math.max(2, Math.ceil(plan.connections / 5_000))
  const load = await SseLoad.start({ count: workers, core: CLIENT_CORE })
  const result = { kind, attempted: plan.connections, workers }
  try {
    await sleep(500)
    const rssBefore = procStats(server.pid).rssBytes
    result.connect = await load.connect({ host: HOST, port: server.port, path: '/notification/', count: plan.connections })
    ctx.log(`    ${kind}: ${result.connect.ok}/${plan.connections} connected in ${(result.connect.ms / 1000).toFixed(1)} s ${JSON.stringify(result.connect.outcomes)}`)
    await load.phase(Number.MAX_SAFE_INTEGER)
    const meter = cpuMeter([server.pid, ...load.pids])
    await sleep(plan.holdMs)
    const usage = meter()
    const report = await load.report()
    const rssHeld = procStats(server.pid).rssBytes
    result.held = report.open
    result.closedByServer = report.closedByServer
    result.rss = { before: rssBefore, held: rssHeld, perConnection: report.open > 0 ? (rssHeld - rssBefore) / report.open : NaN }
    result.cpu = { server: usage[server.pid], client: load.pids.reduce((s, pid) => s + usage[pid], 0), foreign: usage.foreign }
    ctx.log(`    ${kind}: held ${report.open}, RSS ${(rssHeld / 2 ** 20).toFixed(0)} MB (${(result.rss.perConnection / 1024).toFixed(1)} KB/connection), server CPU ${Math.round(result.cpu.server * 100)}% while idle`)
  } catch (error) {
    result.error = error.message
    ctx.log(`    ${kind} failed: ${error.message}\n${server.stderr().slice(-1500)}`)
  } finally {
    await load.close()
    await server.stop()
  }
  return result
}

export async function idle (ctx) {
  const plan = idlePlan(ctx.quick)
  if (ctx.idleConnections) plan.connections = ctx.idleConnections
  const runs = []
  for (const kind of ctx.kinds(['bare', 'ours'])) {
    ctx.log(`  idle ${kind} × ${plan.connections}`)
    runs.push(await hold(ctx, kind, plan))
  }
  return { plan, runs }
}
