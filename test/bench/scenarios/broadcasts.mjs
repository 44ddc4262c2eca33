// Scenario "broadcasts": a contact write reaching every open page. N page streams spread over
// P instances sharing Redis and a throwaway PostgreSQL database (servers on the server core,
// the page clients and the writer on the client core); sequential writes (POST /contacts, each
// to the next instance), and for each the time from the write's start until every page has
// (a) the new row (new_contacts, sent at once) and (b) the new count (contact_count; the product
// coalesces it on the leading edge: a lone write's count is sent at once, the writes inside the
// 100 ms window that follows are merged into one update at its end). Each write is a lone one:
// the next starts a quiet window later (LONE_GAP_MS), as writes on a page people use. Also the renders per change per
// component: the product renders once per process (must equal P), never once per page.
//   ours: the product as it runs (servers/ours-with-stats.mjs: src/server.ts's app from dist/,
//         plus a route that reads the broadcast counters);
//   by hand: servers/hand-broadcasts.mjs, raw pg + the same templates + Redis PUBLISH + SSE.
// The new row carries its own send time (first name `t:<ms>`, last name `s:<seq>`, the load
// client's usual marker); the count carries only its number, so the client records when each
// number arrived and the start time of the write that made it is applied afterwards.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { CLIENT_CORE, HOST, startServer } from '../lib/servers.mjs'
import { SseLoad } from '../lib/sse-load.mjs'
import { now } from '../lib/clock.mjs'
import { cpuMeter, procStats, sleep } from '../lib/procs.mjs'
import { createThrowawayDatabase } from '../lib/services.mjs'
import { fmt, fmtRatio, ms, ratio } from '../lib/report.mjs'

const COUNT_MARKER = 'data-contact-count="'
const COMPONENTS = 2 // new_contacts and contact_count each get one update per create
const COALESCE_MS = 100 // the product's replace window (src/live/announce/broadcasts.ts)
const LONE_GAP_MS = COALESCE_MS + 50 // between writes: each write comes after a quiet window
const SOCKETS_PER_WORKER = 5_000
const FOREIGN_CPU_LIMIT = 0.15
const CLIENT_CPU_LIMIT = 0.9

export function broadcastsPlan (ctx) {
  const plan = ctx.quick
    ? { pages: 200, writes: 10, warmupWrites: 2, processes: [1, 2], drainMs: 5_000 }
    : { pages: 1_000, writes: 20, warmupWrites: 3, processes: [1, 2], drainMs: 10_000 }
  if (ctx.broadcastPages !== undefined) plan.pages = ctx.broadcastPages
  if (ctx.broadcastWrites !== undefined) plan.writes = ctx.broadcastWrites
  if (ctx.broadcastProcesses !== undefined) plan.processes = ctx.broadcastProcesses
  return plan
}

/** The product's migrations, applied by hand to the baseline's database (same schema). */
async function migrate (databaseUrl, root) {
  const dir = join(root, 'prisma', 'migrations')
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    for (const name of readdirSync(dir).filter((n) => /^\d/.test(n)).sort()) {
      await client.query(readFileSync(join(dir, name, 'migration.sql'), 'utf8'))
    }
  } finally {
    await client.end()
  }
}

async function contactCount (databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return (await client.query('SELECT count(*)::int AS count FROM contacts')).rows[0].count
  } finally {
    await client.end()
  }
}

/**
 * Opens one page of the product as a browser does: GET /, then its stream (the sse-connect
 * path), its cookies (the session's private feed and the CSRF secret) and its CSRF token.
 */
async function openProductPage (server) {
  const response = await fetch(`http://${HOST}:${server.port}/`)
  const html = await response.text()
  if (response.status !== 200) throw new Error(`GET / answered ${response.status}: ${html.slice(0, 300)}`)
  const connect = /(?:sse-connect|hx-sse:connect)="([^"]+)"/.exec(html)?.[1]
  const csrfToken = /"x-csrf-token": "([^"]+)"/.exec(html)?.[1]
  if (connect === undefined || csrfToken === undefined) throw new Error('GET / carries no page stream or no CSRF token')
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  return { path: connect.replace(/&amp;/g, '&'), headers: { cookie }, writeHeaders: { cookie, 'x-csrf-token': csrfToken } }
}

/** The pages of one instance, `lanes` GETs at a time. */
async function openPages (server, count, lanes = 8) {
  const pages = new Array(count)
  let next = 0
  const lane = async () => {
    while (next < count) {
      const i = next++
      pages[i] = await openProductPage(server)
    }
  }
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, lane))
  return pages
}

/** One write through an instance's POST /contacts; resolves with its start time (ms on lib/clock.mjs). */
async function write (server, seq, headers) {
  const t = now()
  const body = new URLSearchParams({ firstName: `t:${t.toFixed(3)}`, lastName: `s:${seq}`, email: `bench${seq}@example.com`, status: 'active' })
  const response = await fetch(`http://${HOST}:${server.port}/contacts`, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) })
  const text = await response.text()
  if (response.status !== 303) throw new Error(`POST /contacts answered ${response.status}: ${text.slice(0, 300)}`)
  return t
}

async function renders (design, servers) {
  const path = design === 'ours' ? '/bench/broadcast-stats' : '/bench/stats'
  return await Promise.all(servers.map(async (s) => {
    const response = await fetch(`http://${HOST}:${s.port}${path}`, { signal: AbortSignal.timeout(5000) })
    if (!response.ok) throw new Error(`${path} answered ${response.status}`)
    return (await response.json()).renders
  }))
}

/**
 * `count` sequential writes starting at sequence `from`; after each, waits (bounded) until every
 * page counted both updates of it in this phase. Returns { key (count value): start time }.
 */
async function writeAll ({ servers, writers, load, pages, base, plan }, from, count) {
  const starts = {}
  for (let k = 1; k <= count; k++) {
    const seq = from + k - 1
    const at = seq % servers.length
    starts[base + seq] = await write(servers[at], seq, writers[at])
    const deadline = performance.now() + plan.drainMs
    while ((load.delivered < pages * k || load.keyed < pages * k) && performance.now() < deadline) await load.nextProgress(100)
    await sleep(LONE_GAP_MS)
  }
  return starts
}

function latency (histogram, missing) {
  return {
    p50Us: histogram.percentile(50, missing),
    p99Us: histogram.percentile(99, missing),
    maxUs: missing > 0 ? Infinity : histogram.max,
    samples: histogram.total,
    undelivered: missing
  }
}

async function runCell (ctx, design, processes, plan) {
  const tag = `${design}${processes}`
  const prefix = `${ctx.runId}_bc${tag}_`
  const result = { design, processes, pages: plan.pages, writes: plan.writes }
  const perInstance = Math.ceil(plan.pages / processes)
  if (perInstance + 1000 > ctx.openFilesLimit) {
    result.error = `${perInstance} streams per instance need more than the ${ctx.openFilesLimit} open files a process may hold`
    return result
  }
  const databaseUrl = await createThrowawayDatabase(ctx.postgresUrl, `flc_bench_${ctx.runId}_bc${tag}`)
  if (design === 'hand') await migrate(databaseUrl, ctx.oursRoot)
  const servers = []
  const load = await SseLoad.start({ count: Math.max(1, Math.ceil(plan.pages / SOCKETS_PER_WORKER)), core: CLIENT_CORE })
  try {
    for (let i = 0; i < processes; i++) {
      servers.push(design === 'ours'
        ? await startServer('ours-stats', { ctx, env: { ...ctx.oursEnv(), CHANNEL_PREFIX: prefix, DATABASE_URL: databaseUrl, FLC_ROOT: ctx.oursRoot }, profileName: `broadcasts-${processes}-${i}` })
        : await startServer('hand-broadcasts', { ctx, env: { CHANNEL_PREFIX: prefix, DATABASE_URL: databaseUrl, PROJECT_ROOT: ctx.oursRoot } }))
    }
    // Page i is open on instance i % P; the writes go round the instances too.
    const writers = []
    let connected = 0
    for (const [i, server] of servers.entries()) {
      const count = Math.floor(plan.pages / processes) + (i < plan.pages % processes ? 1 : 0)
      const opened = design === 'ours' ? await openPages(server, count) : null
      writers.push(design === 'ours' ? opened[0]?.writeHeaders ?? (await openProductPage(server)).writeHeaders : {})
      const connect = await load.connect(opened
        ? { host: HOST, port: server.port, paths: opened.map((p) => p.path), headers: opened.map((p) => p.headers), count }
        : { host: HOST, port: server.port, path: '/live', count })
      connected += connect.ok
      if (connect.ok !== count) throw new Error(`instance ${i}: ${connect.ok} of ${count} page streams opened (${JSON.stringify(connect.outcomes)})`)
    }
    result.connected = connected
    await load.streamProgress(5)
    await sleep(300)
    const base = await contactCount(databaseUrl)
    const run = { servers, writers, load, pages: plan.pages, base, plan }

    // Warm-up: first requests, JIT, prepared statements; every page must see these too.
    await load.phase(1, { marker: COUNT_MARKER, minKey: base + 1 })
    await writeAll(run, 1, plan.warmupWrites)
    await sleep(200)

    const first = plan.warmupWrites + 1
    await load.phase(first, { marker: COUNT_MARKER, minKey: base + first })
    const rendersBefore = await renders(design, servers)
    const cpuBefore = servers.map((s) => procStats(s.pid).cpuSeconds)
    const meter = cpuMeter([...servers.map((s) => s.pid), ctx.redis.pid, ...load.pids, process.pid])
    const started = performance.now()
    const starts = await writeAll(run, first, plan.writes)
    const seconds = (performance.now() - started) / 1000
    const usage = meter()
    const cpuSeconds = servers.reduce((sum, s, i) => sum + procStats(s.pid).cpuSeconds - cpuBefore[i], 0)
    const rendersAfter = await renders(design, servers)
    const report = await load.report(starts)

    const expected = plan.pages * plan.writes
    const perProcess = rendersAfter.map((r, i) => r - rendersBefore[i])
    Object.assign(result, {
      base,
      seconds: seconds - plan.writes * LONE_GAP_MS / 1000,
      row: latency(report.histogram, Math.max(0, expected - report.delivered)),
      count: latency(report.keyHistogram, Math.max(0, expected - report.keyed)),
      rendersPerProcess: perProcess,
      rendersPerChange: perProcess.reduce((a, b) => a + b, 0) / (plan.writes * COMPONENTS),
      serverCpuMsPerWrite: cpuSeconds * 1000 / plan.writes,
      clientCpu: load.pids.reduce((sum, pid) => sum + (usage[pid] ?? 0), 0) + (usage[process.pid] ?? 0),
      redisCpu: usage[ctx.redis.pid],
      foreignCpu: usage.foreign,
      closedByServer: report.closedByServer
    })
    const show = (us) => (us === Infinity ? '∞' : `${(us / 1000).toFixed(1)} ms`)
    ctx.log(`    ${design === 'ours' ? 'ours' : 'by hand'} × ${processes}: row p50 ${show(result.row.p50Us)} p99 ${show(result.row.p99Us)}, count p50 ${show(result.count.p50Us)} p99 ${show(result.count.p99Us)}, renders per change ${result.rendersPerChange.toFixed(2)} (${perProcess.join(' + ')}), undelivered ${result.row.undelivered}/${result.count.undelivered}, other load ${Math.round(usage.foreign * 100)}% of a core`)
  } catch (error) {
    result.error = error.message
    ctx.log(`    ${tag} failed: ${error.message}\n${servers.map((s) => s.stderr().slice(-800)).join('\n')}`)
  } finally {
    await load.close()
    await Promise.all(servers.map((s) => s.stop()))
  }
  return result
}

export async function broadcasts (ctx) {
  const plan = broadcastsPlan(ctx)
  const designs = ctx.hasOurs ? ['ours', 'hand'] : ['hand']
  const cells = []
  for (const processes of plan.processes) {
    for (const design of designs) {
      ctx.log(`  broadcasts: ${design === 'ours' ? 'ours' : 'by hand'}, ${plan.pages} pages over ${processes} instance${processes === 1 ? '' : 's'}, ${plan.writes} writes`)
      cells.push(await runCell(ctx, design, processes, plan))
    }
  }
  return { plan, cells }
}

/** The table, targets and validity notes for the summary (lib/summary.mjs). */
export function broadcastsTable (result, targets, checks) {
  const { plan } = result
  const rows = [['processes', 'figure', 'ours', 'by hand', 'ours/by hand']]
  const find = (design, processes) => result.cells.find((c) => c.design === design && c.processes === processes)
  const value = (cell, get) => (cell && !cell.error ? get(cell) : NaN)
  const label = (cell) => (cell?.error ? 'failed' : undefined)
  for (const processes of plan.processes) {
    const ours = find('ours', processes)
    const hand = find('hand', processes)
    const add = (figure, get, show = fmt, { compare = true } = {}) => {
      const o = value(ours, get)
      const h = value(hand, get)
      rows.push([processes, figure, label(ours) ?? show(o), label(hand) ?? show(h), compare ? fmtRatio(ratio(o, h)) : ''])
    }
    add('new row p50 (ms)', (c) => ms(c.row.p50Us))
    add('new row p99 (ms)', (c) => ms(c.row.p99Us))
    add('count p50 (ms; a lone write: leading edge, no window waited)', (c) => ms(c.count.p50Us))
    add('count p99 (ms)', (c) => ms(c.count.p99Us))
    add('count p50 / new row p50 (a lone write; target ≤ 1.5)', (c) => c.count.p50Us / c.row.p50Us, (v) => fmt(v, 2), { compare: false })
    add('renders per change per component', (c) => c.rendersPerChange, (v) => fmt(v, 2), { compare: false })
    add('server CPU per write, all instances (ms)', (c) => c.serverCpuMsPerWrite)
    add('undelivered (row / count)', (c) => `${c.row.undelivered} / ${c.count.undelivered}`, String, { compare: false })
    add('other load on the machine', (c) => `${Math.round(c.foreignCpu * 100)}% of a core`, String, { compare: false })

    const lone = value(ours, (c) => c.count.p50Us / c.row.p50Us)
    targets.push({ name: `broadcasts, ${processes} process${processes === 1 ? '' : 'es'}: a lone write's count p50 ≤ 1.5× its row p50`, value: `${fmt(lone, 2)}×`, pass: Number.isFinite(lone) ? lone <= 1.5 : null })
    const r = value(ours, (c) => c.rendersPerChange)
    // No page open: no reader, so no render at all (rendered on demand when a page replays).
    const expected = plan.pages === 0 ? 0 : processes
    targets.push({ name: `broadcasts, ${processes} process${processes === 1 ? '' : 'es'}: renders per change per component = ${expected}`, value: fmt(r, 2), pass: Number.isFinite(r) ? Math.abs(r - expected) < 0.005 : null })
    for (const cell of [ours, hand]) {
      if (!cell) continue
      const name = `broadcasts ${cell.design === 'ours' ? 'ours' : 'by hand'} × ${processes}`
      if (cell.error) { checks.push(`${name} failed: ${cell.error}`); continue }
      if (cell.clientCpu > CLIENT_CPU_LIMIT) checks.push(`${name}: the pages' client and the writer used ${Math.round(cell.clientCpu * 100)}% of their core: they may have limited the figures`)
      if (cell.foreignCpu > FOREIGN_CPU_LIMIT) checks.push(`${name}: other processes (PostgreSQL's backends among them) used ${Math.round(cell.foreignCpu * 100)}% of a core: the machine was not quiet`)
      if (cell.row.undelivered > 0 || cell.count.undelivered > 0) checks.push(`${name}: ${cell.row.undelivered} rows and ${cell.count.undelivered} counts never reached their page (counted as infinitely late)`)
      if (cell.closedByServer > 0) checks.push(`${name}: the server closed ${cell.closedByServer} page streams during the measurement`)
    }
  }
  return {
    title: `A write reaching every page: ${plan.pages} page streams over P instances sharing Redis and PostgreSQL, ${plan.writes} sequential writes (POST /contacts), time from the write's start to every page (servers on core 0, pages and writer on core 1)`,
    rows
  }
}
