// Scenario 3, HTML route: GET /contacts/:page throughput and p99 under autocannon, against a
// bare Fastify route returning the product's own page-1 HTML, and (for the uncached route) the
// same work done by hand: bare Fastify + raw pg keyset query + the same templates, in the same run.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLIENT_CORE, HOST, startServer } from '../lib/servers.mjs'
import { cpuMeter, spawnPinned, sleep } from '../lib/procs.mjs'
import { serverEnv } from './fanout.mjs'

const HTTP_LOAD = fileURLToPath(new URL('../load/http-load.mjs', import.meta.url))

export function routePlan (quick) {
  return quick
    ? { connections: 50, warmupSec: 1, durationSec: 3, path: '/contacts/1' }
    : { connections: 50, warmupSec: 3, durationSec: 15, path: '/contacts/1' }
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

export async function route (ctx) {
  const plan = routePlan(ctx.quick)
  if (!ctx.hasOurs) return { plan, skipped: 'the product is not built (dist/src/server.js missing)' }
  const databaseUrl = await ctx.seededDatabase()
  const result = { plan }

  const ours = await startServer('ours', { ctx, env: serverEnv(ctx, 'ours', `${ctx.runId}_route_`, { DATABASE_URL: databaseUrl }), profileName: 'route' })
  try {
    const response = await fetch(`http://${HOST}:${ours.port}${plan.path}`)
    const html = await response.text()
    if (response.status !== 200) throw new Error(`GET ${plan.path} answered ${response.status}: ${html.slice(0, 300)}`)
    result.response = { status: response.status, contentType: response.headers.get('content-type'), bytes: Buffer.byteLength(html) }
    const file = join(ctx.tmpDir, 'contacts-page-1.html')
    writeFileSync(file, html)
    result.htmlFile = file
    await sleep(300)
    result.ours = await measure(ctx, ours, plan)
  } catch (error) {
    result.error = error.message
    ctx.log(`    ours failed: ${error.message}\n${ours.stderr().slice(-1500)}`)
    return result
  } finally {
    await ours.stop()
  }

  // The same route with the render cache off: every request queries PostgreSQL and renders.
  const uncached = await startServer('ours', { ctx, env: serverEnv(ctx, 'ours', `${ctx.runId}_route_nc_`, { DATABASE_URL: databaseUrl, CONTACTS_CACHE_TTL_MS: '0' }), profileName: 'route-uncached' })
  try {
    await sleep(300)
    result.oursUncached = await measure(ctx, { ...uncached, kind: 'ours (cache off)' }, plan)
  } finally {
    await uncached.stop()
  }

  // The same work by hand (bare Fastify + raw pg keyset query + the same templates): what the
  // uncached route is compared with.
  const hand = await startServer('hand-contacts', {
    ctx,
    env: { DATABASE_URL: databaseUrl, PROJECT_ROOT: ctx.oursRoot, BARE_HTML_FILE: result.htmlFile, PAGE_SIZE: '3' }
  })
  try {
    const check = await (await fetch(`http://${HOST}:${hand.port}${plan.path}`)).text()
    result.handSameBody = check === readFileSync(result.htmlFile, 'utf8')
    if (!result.handSameBody) ctx.log('    note: the hand-made baseline\'s body differs from the product\'s')
    await sleep(300)
    result.hand = await measure(ctx, { ...hand, kind: 'by hand (pg + Handlebars)' }, plan)
  } finally {
    await hand.stop()
  }

  const bare = await startServer('bare-fastify', {
    ctx,
    env: { BARE_HTML_FILE: result.htmlFile, BARE_CONTENT_TYPE: result.response.contentType ?? '' }
  })
  try {
    await sleep(300)
    result.bare = await measure(ctx, bare, plan)
  } finally {
    await bare.stop()
  }
  return result
}
