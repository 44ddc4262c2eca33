// Turns raw scenario results into the tables people read and the list of targets with
// pass/fail. Targets come from the benchmark issue; each compares figures of the same run.
import { fmt, fmtRatio, kb, ms, pct, ratio } from './report.mjs'
import { pagesTables } from '../scenarios/pages.mjs'
import { scaleTable } from '../scenarios/scale.mjs'
import { channelsTable } from '../scenarios/channels.mjs'
import { tabsTable } from '../scenarios/tabs.mjs'
import { broadcastsTable } from '../scenarios/broadcasts.mjs'
import { pagestreamTable } from '../scenarios/pagestream.mjs'

const CLIENT_CPU_LIMIT = 0.9 // above this the load client may be what limits the figures
const FOREIGN_CPU_LIMIT = 0.15 // CPU (cores) used by processes outside the benchmark

function passMark (pass) { return pass === null ? 'n/a' : pass ? 'PASS' : 'FAIL' }

function fanoutTables (fanout, targets, checks) {
  const byKey = new Map(fanout.cells.map((c) => [`${c.kind}:${c.clients}`, c]))
  const rows = [['clients', 'figure', 'ours', 'bare', 'seed', 'ours/bare', 'ours/seed', 'bare/seed', 'target', 'result']]
  const sizes = [...new Set(fanout.cells.map((c) => c.clients))]
  // The matched loads of the issue are the multi-client cells (1,000@20/s, 10,000@5/s).
  for (const clients of sizes) {
    const ours = byKey.get(`ours:${clients}`)
    const bare = byKey.get(`bare:${clients}`)
    const seed = byKey.get(`seed:${clients}`)
    const rate = (ours ?? bare ?? seed)?.rate
    const val = (cell, get) => (cell && !cell.error && !cell.notRunnable) ? get(cell) : NaN
    const label = (cell) => cell?.notRunnable ? 'not runnable' : cell?.error ? 'error' : undefined
    const add = (figure, get, show, { target, pass, seedRatio = false, bareRatio = true } = {}) => {
      const o = val(ours, get)
      const b = val(bare, get)
      const s = val(seed, get)
      rows.push([
        clients, figure,
        label(ours) ?? show(o), label(bare) ?? show(b), label(seed) ?? show(s),
        bareRatio ? fmtRatio(ratio(o, b)) : '',
        seedRatio ? fmtRatio(ratio(o, s)) : '',
        seedRatio ? fmtRatio(ratio(b, s)) : '',
        target ?? '', pass === undefined ? '' : passMark(pass)
      ])
      return { o, b, s }
    }
    if (clients > 1) {
      const sat = add('saturation deliveries/s', (c) => c.saturation?.deliveriesPerSec ?? NaN, fmt, { seedRatio: true })
      const bareOk = Number.isFinite(sat.o) && Number.isFinite(sat.b) ? sat.o >= 1.0 * sat.b : null
      const seedOk = Number.isFinite(sat.o) && Number.isFinite(sat.s) ? sat.o >= 100 * sat.s : null
      rows[rows.length - 1][8] = '≥1.0× bare, ≥100× seed'
      rows[rows.length - 1][9] = passMark(bareOk === null && seedOk === null ? null : (bareOk ?? true) && (seedOk ?? true))
      targets.push({ name: `fan-out ${clients} clients: saturation ≥ 1.0× bare`, value: fmtRatio(ratio(sat.o, sat.b)), pass: bareOk })
      targets.push({ name: `fan-out ${clients} clients: saturation ≥ 100× seed`, value: Number.isFinite(sat.s) ? fmtRatio(ratio(sat.o, sat.s)) : `seed ${label(seed) ?? 'n/a'}`, pass: seedOk })
      // When the load client is what limits deliveries/s, server CPU per delivery still compares
      // the servers' own cost.
      const perDelivery = add('  server CPU per delivery (µs)', (c) => (c.saturation?.cpu.server ?? NaN) * 1e6 / (c.saturation?.deliveriesPerSec ?? NaN), (v) => fmt(v, 3))
      targets.push({ name: `fan-out ${clients} clients: server CPU per delivery ≤ 1.0× bare (at saturation)`, value: `${fmt(perDelivery.o, 3)} vs ${fmt(perDelivery.b, 3)} µs (${fmtRatio(ratio(perDelivery.o, perDelivery.b))})`, pass: Number.isFinite(perDelivery.o) && Number.isFinite(perDelivery.b) ? perDelivery.o <= perDelivery.b : null })
      add('  server CPU at saturation', (c) => c.saturation?.cpu.server ?? NaN, pct, { bareRatio: false })
      add('  Redis CPU at saturation', (c) => c.saturation?.cpu.redis ?? NaN, pct, { bareRatio: false })
      add('  client CPU at saturation', (c) => c.saturation?.cpu.client ?? NaN, pct, { bareRatio: false })
      add('  p99 at saturation (ms)', (c) => ms(c.saturation?.latencyUs.p99), fmt, { bareRatio: false })
    }
    const matched = clients > 1
    const p50 = add(`p50 at ${rate} msg/s (ms)`, (c) => ms(c.fixed?.latencyUs.p50), fmt, { seedRatio: true })
    const p99 = add(`p99 at ${rate} msg/s (ms)`, (c) => ms(c.fixed?.latencyUs.p99), fmt, { seedRatio: true })
    if (matched) {
      for (const [name, r, at] of [['p50', p50, 2], ['p99', p99, 1]]) {
        const pass = Number.isFinite(r.o) && Number.isFinite(r.b) ? r.o <= 1.25 * r.b : (r.o === Infinity ? false : null)
        rows[rows.length - at][8] = '≤1.25× bare'
        rows[rows.length - at][9] = passMark(pass)
        targets.push({ name: `fan-out ${clients} clients at ${rate} msg/s: ${name} ≤ 1.25× bare`, value: `${fmt(r.o)} ms vs ${fmt(r.b)} ms (${fmtRatio(ratio(r.o, r.b))})`, pass })
      }
    } else {
      const pass = Number.isFinite(p50.o) ? p50.o <= 1.5 : null
      rows[rows.length - 2][8] = '≤1.5 ms'
      rows[rows.length - 2][9] = passMark(pass)
      targets.push({ name: 'one client: publish→receive p50 ≤ 1.5 ms (plain Redis PUBLISH)', value: `${fmt(p50.o, 3)} ms`, pass })
      const product = ours?.fixedProduct
      if (product !== undefined) {
        const pp50 = ms(product.latencyUs.p50)
        const productPass = Number.isFinite(pp50) ? pp50 <= 1.5 : null
        rows.push([clients, `p50 at ${rate} msg/s, product publish (ms)`, fmt(pp50), '', '', fmtRatio(ratio(pp50, p50.b)), '', '', '≤1.5 ms', passMark(productPass)])
        rows.push([clients, `p99 at ${rate} msg/s, product publish (ms)`, fmt(ms(product.latencyUs.p99)), '', '', fmtRatio(ratio(ms(product.latencyUs.p99), p99.b)), '', '', '', ''])
        targets.push({ name: 'one client: publish→receive p50 ≤ 1.5 ms (the product\'s publish)', value: `${fmt(pp50, 3)} ms`, pass: productPass })
      }
    }
    add(`max at ${rate} msg/s (ms)`, (c) => ms(c.fixed?.latencyUs.max), fmt)
    add('  undelivered at phase end', (c) => c.fixed?.undelivered ?? NaN, fmt, { bareRatio: false })
    add(`  server CPU at ${rate} msg/s`, (c) => c.fixed?.cpu.server ?? NaN, pct, { bareRatio: false })
    add(`  client CPU at ${rate} msg/s`, (c) => c.fixed?.cpu.client ?? NaN, pct, { bareRatio: false })
    if (clients > 1) add('RSS per connection', (c) => c.rss?.perConnection ?? NaN, kb)

    for (const cell of [ours, bare, seed]) {
      if (!cell || cell.error || cell.notRunnable) continue
      for (const [phase, data] of [['saturation', cell.saturation], ['fixed', cell.fixed]]) {
        if (data && data.cpu.client > CLIENT_CPU_LIMIT) checks.push(`load client at ${pct(data.cpu.client)} CPU during ${cell.kind} × ${clients} ${phase}: it may have limited that figure`)
        if (data && data.cpu.foreign > FOREIGN_CPU_LIMIT) checks.push(`other processes used ${pct(data.cpu.foreign)} of a core during ${cell.kind} × ${clients} ${phase}: the machine was not quiet`)
      }
      if (cell.connect && cell.connect.ok < cell.clients) checks.push(`${cell.kind} × ${clients}: only ${cell.connect.ok} of ${cell.clients} connections opened (${JSON.stringify(cell.connect.outcomes)})`)
      const closed = (cell.saturation?.closedByServer ?? 0) + (cell.fixed?.closedByServer ?? 0)
      if (closed > 0) checks.push(`${cell.kind} × ${clients}: the server closed ${closed} streams during the measurement`)
    }
    for (const cell of [ours, bare, seed]) if (cell?.error) checks.push(`${cell.kind} × ${clients} failed: ${cell.error}`)
  }
  return { title: 'SSE fan-out (publish→client through Redis)', rows }
}

function idleTable (idle, targets, checks) {
  const ours = idle.runs.find((r) => r.kind === 'ours')
  const bare = idle.runs.find((r) => r.kind === 'bare')
  const v = (r, get) => (r && !r.error) ? get(r) : NaN
  const heldO = v(ours, (r) => r.held)
  const rssO = v(ours, (r) => r.rss.perConnection)
  const rssB = v(bare, (r) => r.rss.perConnection)
  const heldPass = Number.isFinite(heldO) ? heldO >= idle.plan.connections : null
  const rssPass = Number.isFinite(rssO) && Number.isFinite(rssB) ? rssO <= 1.5 * rssB : null
  targets.push({ name: `idle: ${idle.plan.connections} connections held in one process`, value: fmt(heldO), pass: heldPass })
  targets.push({ name: 'idle: RSS per connection ≤ 1.5× bare', value: `${kb(rssO)} vs ${kb(rssB)} (${fmtRatio(ratio(rssO, rssB))})`, pass: rssPass })
  for (const r of idle.runs) {
    if (r.error) checks.push(`idle ${r.kind} failed: ${r.error}`)
    if (r.held !== undefined && r.held < r.attempted) checks.push(`idle ${r.kind}: ${r.held} of ${r.attempted} held (${JSON.stringify(r.connect?.outcomes)}, ${r.closedByServer} closed by the server)`)
  }
  return {
    title: `Idle SSE connections (${idle.plan.connections} attempted, held ${idle.plan.holdMs / 1000} s, heartbeat every ${idle.plan.heartbeatMs / 1000} s)`,
    rows: [
      ['figure', 'ours', 'bare', 'ours/bare', 'target', 'result'],
      ['connections held', fmt(heldO), fmt(v(bare, (r) => r.held)), '', `${idle.plan.connections}`, passMark(heldPass)],
      ['RSS per connection', kb(rssO), kb(rssB), fmtRatio(ratio(rssO, rssB)), '≤1.5× bare', passMark(rssPass)],
      ['RSS total', kb(v(ours, (r) => r.rss.held)), kb(v(bare, (r) => r.rss.held)), '', '', ''],
      ['server CPU while idle', pct(v(ours, (r) => r.cpu.server)), pct(v(bare, (r) => r.cpu.server)), '', '', ''],
      ['connect time (s)', fmt(v(ours, (r) => r.connect.ms / 1000)), fmt(v(bare, (r) => r.connect.ms / 1000)), '', '', '']
    ]
  }
}

function routeTable (route, targets, checks) {
  if (route.skipped || route.error) {
    targets.push({ name: 'route: ≥ 25% of bare Fastify requests/s', value: route.skipped ?? route.error, pass: null })
    return null
  }
  const o = route.ours
  const u = route.oursUncached
  const b = route.bare
  const h = route.hand
  const r = ratio(o?.requestsPerSec, b?.requestsPerSec)
  const ru = ratio(u?.requestsPerSec, b?.requestsPerSec)
  const rh = ratio(u?.requestsPerSec, h?.requestsPerSec)
  // Medians of the per-round ratios (alternating rounds), when the run has rounds.
  const cached = route.ratios?.cachedVsBare
  const uncached = route.ratios?.uncachedVsHand
  const spread = (s) => (s === undefined ? '' : `, rounds ${s.values.map(pct).join(' ')}`)
  const rc = cached?.median ?? r
  const rhm = uncached?.median ?? rh
  const pass = Number.isFinite(rc) ? rc >= 0.5 : null
  const passHand = Number.isFinite(rhm) ? rhm >= 0.65 : null
  targets.push({ name: 'route: ≥ 50% of bare Fastify sending the same bytes from memory (requests/s, median of rounds)', value: `${fmt(o?.requestsPerSec)} vs ${fmt(b?.requestsPerSec)} req/s (${pct(rc)}${spread(cached)})`, pass })
  targets.push({ name: 'route, cache off: ≥ 65% of the same work by hand (pg + Handlebars) requests/s (median of rounds)', value: `${fmt(u?.requestsPerSec)} vs ${fmt(h?.requestsPerSec)} req/s (${pct(rhm)}${spread(uncached)})`, pass: passHand })
  if (route.handSameBody === false) checks.push('route: the hand-made baseline\'s body differs from the product\'s')
  for (const [name, x] of [['ours', o], ['ours (cache off)', u], ['by hand', h], ['bare Fastify', b]]) {
    if (x && x.clientCpu > CLIENT_CPU_LIMIT) checks.push(`route: autocannon at ${pct(x.clientCpu)} CPU against ${name}: the client may have limited it`)
    if (x && (x.non2xx > 0 || x.errors > 0)) checks.push(`route ${name}: ${x.non2xx} non-2xx, ${x.errors} errors`)
    if (x && x.foreignCpu > FOREIGN_CPU_LIMIT) checks.push(`route ${name}: other processes used ${pct(x.foreignCpu)} of a core: the machine was not quiet`)
  }
  return {
    title: `HTML route GET ${route.plan.path} (autocannon, ${route.plan.connections} connections, ${route.rounds?.length ?? 1} alternating rounds of ${route.plan.durationSec} s, median round, ${route.response?.bytes} B body)`,
    rows: [
      ['figure', 'ours', 'ours (cache off)', 'by hand', 'bare Fastify', 'ours/bare', 'cache off/bare', 'cache off/by hand', 'target', 'result'],
      ['requests/s', fmt(o?.requestsPerSec), fmt(u?.requestsPerSec), fmt(h?.requestsPerSec), fmt(b?.requestsPerSec), pct(r), pct(ru), pct(rh), '≥50% / ≥65%', `${passMark(pass)} / ${passMark(passHand)}`],
      ['p50 (ms)', fmt(o?.latencyMs.p50), fmt(u?.latencyMs.p50), fmt(h?.latencyMs.p50), fmt(b?.latencyMs.p50), fmtRatio(ratio(o?.latencyMs.p50, b?.latencyMs.p50)), fmtRatio(ratio(u?.latencyMs.p50, b?.latencyMs.p50)), fmtRatio(ratio(u?.latencyMs.p50, h?.latencyMs.p50)), '', ''],
      ['p99 (ms)', fmt(o?.latencyMs.p99), fmt(u?.latencyMs.p99), fmt(h?.latencyMs.p99), fmt(b?.latencyMs.p99), fmtRatio(ratio(o?.latencyMs.p99, b?.latencyMs.p99)), fmtRatio(ratio(u?.latencyMs.p99, b?.latencyMs.p99)), fmtRatio(ratio(u?.latencyMs.p99, h?.latencyMs.p99)), '', ''],
      ['server CPU', pct(o?.serverCpu), pct(u?.serverCpu), pct(h?.serverCpu), pct(b?.serverCpu), '', '', '', '', ''],
      ['client CPU', pct(o?.clientCpu), pct(u?.clientCpu), pct(h?.clientCpu), pct(b?.clientCpu), '', '', '', '', '']
    ]
  }
}

function paginationTable (pagination, targets) {
  const rows = [['query', 'first page p50 (ms)', 'deep page p50 (ms)', 'deep p99 (ms)', 'deep/first', 'target', 'result']]
  for (const [name, c] of Object.entries(pagination.cases ?? {})) {
    const r = ratio(c.deep.p50, c.first.p50)
    const isOurs = name.startsWith('ours') && !name.includes('OFFSET')
    const pass = isOurs ? (Number.isFinite(r) ? r <= 1.2 : null) : undefined
    if (isOurs) targets.push({ name: `pagination (${name}): deepest page ≤ 1.2× first`, value: `${fmt(ms(c.deep.p50), 3)} vs ${fmt(ms(c.first.p50), 3)} ms (${fmtRatio(r)})`, pass })
    rows.push([name, fmt(ms(c.first.p50), 3), fmt(ms(c.deep.p50), 3), fmt(ms(c.deep.p99), 3), fmtRatio(r), isOurs ? '≤1.2×' : '', pass === undefined ? '' : passMark(pass)])
  }
  if (!pagination.cases?.['ours: GET /contacts/:page?after= (keyset)']) {
    targets.push({ name: 'pagination (ours route): deepest page ≤ 1.2× first', value: pagination.routeError ?? 'not measured (product not built)', pass: null })
  }
  const p = pagination.plan
  return { title: `Pagination depth (${fmt(pagination.seed?.rows ?? p.rows)} contacts, page size ${p.pageSize}, first page vs offset ${p.deepOffset}, up to ${p.iterations} sequential requests each, alternating)`, rows }
}

export function summarize (results) {
  const targets = []
  const checks = []
  const tables = []
  if (results.fanout) tables.push(fanoutTables(results.fanout, targets, checks))
  if (results.idle) tables.push(idleTable(results.idle, targets, checks))
  if (results.route) { const t = routeTable(results.route, targets, checks); if (t) tables.push(t) }
  if (results.pagination) tables.push(paginationTable(results.pagination, targets))
  if (results.pages && !results.pages.error) tables.push(pagesTables(results.pages, targets))
  if (results.scale?.configs) tables.push(scaleTable(results.scale))
  if (results.channels?.cells) tables.push(channelsTable(results.channels))
  if (results.tabs?.cells) tables.push(tabsTable(results.tabs))
  if (results.broadcasts?.cells) tables.push(broadcastsTable(results.broadcasts, targets, checks))
  if (results.pagestream?.rounds) tables.push(pagestreamTable(results.pagestream, targets, checks))
  tables.push({ title: 'Targets', rows: [['target', 'measured', 'result'], ...targets.map((t) => [t.name, t.value, passMark(t.pass)])] })
  return { tables, targets, checks }
}
