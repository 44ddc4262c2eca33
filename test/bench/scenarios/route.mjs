// Scenario 3, HTML route: GET /contacts/5?after=12 (a click-to-load fragment) throughput and p99
// under autocannon, against a bare Fastify route returning the product's own bytes from memory,
// and (for the uncached route) the same work done by hand: bare Fastify + raw pg keyset query +
// the same templates. All four servers run side by side and are measured in alternating rounds
// (the order rotates each round); each figure is the median round, each ratio the median of the
// per-round ratios with its spread (min–max), so a neighbour's burst hits one round, not one server.
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLIENT_CORE, HOST, startServer } from '../lib/servers.mjs'
import { cpuMeter, spawnPinned, sleep } from '../lib/procs.mjs'
import { serverEnv } from './fanout.mjs'

const HTTP_LOAD = fileURLToPath(new URL('../load/http-load.mjs', import.meta.url))

export function routePlan (quick) {
  return quick
    ? { connections: 50, warmupSec: 1, durationSec: 3, rounds: 3, path: '/contacts/5?after=12' }
    : { connections: 50, warmupSec: 2, durationSec: 10, rounds: 3, path: '/contacts/5?after=12' }
}

/** Runs the HTTP load client on the client core; resolves with its JSON result. */
export function httpLoad (url, plan) {
  const child = spawnPinned('autocannon', CLIENT_CORE, process.execPath, [HTTP_LOAD, JSON.stringify({ url, ...plan })], { capture: true, quiet: true })
  // Bounded: a client that hangs is killed well after its planned duration.
  const limit = setTimeout(() => child.kill('SIGKILL'), (plan.warmupSec + plan.durationSec + 60) * 1000)
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.once('exit', (code) => {
      clearTimeout(limit)
      if (code !== 0) return reject(new Error(`http load client exited ${code}: ${child.stderrTail()}`))
      try { resolve(JSON.parse(out.trim().split('\n').pop())) } catch (error) { reject(new Error(`bad load client output: ${out.slice(-500)}`)) }
    })
  })
}

async function measure (ctx, server, plan) {
  const url = `http://${HOST}:${server.port}${plan.path}`
  const meter = cpuMeter([server.pid])
  const result = await httpLoad(url, plan)
  // The meter spans the warm-up too; the server is saturated throughout, so the share holds.
  const usage = meter()
  result.serverCpu = usage[server.pid]
  result.foreignCpu = Math.max(0, usage.foreign - result.clientCpu)
  ctx.log(`    ${server.kind}: ${Math.round(result.requestsPerSec)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}, client CPU ${Math.round(result.clientCpu * 100)}%`)
  return result
}

function median (values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** The round whose requests/s is the median one (its latencies and CPU come with it). */
function medianRound (results) {
  const sorted = results.filter(Boolean).sort((a, b) => a.requestsPerSec - b.requestsPerSec)
  return sorted[(sorted.length - 1) >> 1]
}

const SERVERS = ['ours', 'oursUncached', 'hand', 'bare']

export async function route (ctx) {
  const plan = routePlan(ctx.quick)
  if (!ctx.hasOurs) return { plan, skipped: 'the product is not built (dist/src/server.js missing)' }
  const databaseUrl = await ctx.seededDatabase()
  const result = { plan, rounds: [] }
  const servers = {}
  try {
    servers.ours = await startServer('ours', { ctx, env: serverEnv(ctx, 'ours', `${ctx.runId}_route_`, { DATABASE_URL: databaseUrl }), profileName: 'route' })
    const response = await fetch(`http://${HOST}:${servers.ours.port}${plan.path}`)
    const html = await response.text()
    if (response.status !== 200) throw new Error(`GET ${plan.path} answered ${response.status}: ${html.slice(0, 300)}`)
    result.response = { status: response.status, contentType: response.headers.get('content-type'), bytes: Buffer.byteLength(html) }
    const file = join(ctx.tmpDir, 'contacts-fragment.html')
    writeFileSync(file, html)
    result.htmlFile = file
    // The same route with the render cache off: every request queries PostgreSQL and renders.
    servers.oursUncached = { ...await startServer('ours', { ctx, env: serverEnv(ctx, 'ours', `${ctx.runId}_route_nc_`, { DATABASE_URL: databaseUrl, CONTACTS_CACHE_TTL_MS: '0' }), profileName: 'route-uncached' }), kind: 'ours (cache off)' }
    // The same work by hand (bare Fastify + raw pg keyset query + the same templates).
    servers.hand = { ...await startServer('hand-contacts', { ctx, env: { DATABASE_URL: databaseUrl, PROJECT_ROOT: ctx.oursRoot, BARE_HTML_FILE: result.htmlFile, PAGE_SIZE: '3' } }), kind: 'by hand (pg + Handlebars)' }
    const check = await (await fetch(`http://${HOST}:${servers.hand.port}${plan.path}`)).text()
    result.handSameBody = check === html
    if (!result.handSameBody) ctx.log('    note: the hand-made baseline\'s body differs from the product\'s')
    // Bare Fastify sending the product's bytes from memory.
    servers.bare = { ...await startServer('bare-fastify', { ctx, env: { BARE_HTML_FILE: result.htmlFile, BARE_CONTENT_TYPE: result.response.contentType ?? '' } }), kind: 'bare Fastify (from memory)' }
    await sleep(300)
    for (let round = 0; round < plan.rounds; round++) {
      const order = SERVERS.map((_, i) => SERVERS[(i + round) % SERVERS.length])
      ctx.log(`    round ${round + 1}/${plan.rounds} (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`)
      const figures = {}
      for (const name of order) figures[name] = await measure(ctx, servers[name], plan)
      result.rounds.push(figures)
    }
  } catch (error) {
    result.error = error.message
    ctx.log(`    route failed: ${error.message}\n${servers.ours?.stderr().slice(-1500) ?? ''}`)
    return result
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
  }
  for (const name of SERVERS) result[name] = medianRound(result.rounds.map((r) => r[name]))
  const spread = (get) => {
    const values = result.rounds.map(get).filter(Number.isFinite)
    return { median: median(values), min: Math.min(...values), max: Math.max(...values), values }
  }
  result.ratios = {
    cachedVsBare: spread((r) => r.ours.requestsPerSec / r.bare.requestsPerSec),
    uncachedVsHand: spread((r) => r.oursUncached.requestsPerSec / r.hand.requestsPerSec)
  }
  const show = (s) => `${Math.round(s.median * 100)}% (rounds ${s.values.map((v) => `${Math.round(v * 100)}%`).join(', ')})`
  ctx.log(`    cached / bare from memory: ${show(result.ratios.cachedVsBare)}; uncached / by hand: ${show(result.ratios.uncachedVsHand)}`)
  return result
}
