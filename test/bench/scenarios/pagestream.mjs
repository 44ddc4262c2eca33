// Scenario "pagestream": the page stream every page uses against a component's own route and
// bare node:http, on the same channel. N clients of (a) the demo page's stream /live/?s=… (its
// token and cookie, started live), (b) the notification component's own route /notification/,
// (c) the bare node:http SSE server; messages published to the notifications channel through
// Redis, at a fixed rate (p50/p99) and at saturation (deliveries/s). The three run in alternating
// rounds (the order rotates each round); figures are medians of the rounds, with their spread.
// Targets (issue 18): page saturation within 1.1× of the own route, page p99 within 1.25× of bare.
import { loadavg } from 'node:os'
import { runCell } from './fanout.mjs'
import { fmt } from '../lib/report.mjs'

const KINDS = [
  { name: 'page', server: 'ours', target: 'page', label: 'page stream /live/' },
  { name: 'own', server: 'ours', target: 'own', label: 'own route /notification/' },
  { name: 'bare', server: 'bare', target: 'own', label: 'bare node:http' }
]

export function pagestreamPlan (ctx) {
  const plan = ctx.quick
    ? { clients: 200, rate: 20, fixedMs: 2_000, satMs: 2_500, rounds: 3, warmupMs: 500, measureAfterMs: 700, drainMs: 2_000 }
    : { clients: 1_000, rate: 20, fixedMs: 8_000, satMs: 8_000, rounds: 3, warmupMs: 1_000, measureAfterMs: 1_500, drainMs: 3_000 }
  if (ctx.fanoutClients?.length === 1) plan.clients = ctx.fanoutClients[0]
  return plan
}

function median (values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export async function pagestream (ctx) {
  const plan = pagestreamPlan(ctx)
  if (!ctx.hasOurs) return { plan, skipped: 'the product is not built (dist/src/server.js missing)' }
  const cell = { clients: plan.clients, rate: plan.rate, fixedMs: plan.fixedMs, saturate: true, satMs: plan.satMs }
  const rounds = []
  for (let round = 0; round < plan.rounds; round++) {
    const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length])
    const figures = { load: loadavg() }
    for (const kind of order) {
      ctx.log(`  pagestream round ${round + 1}/${plan.rounds}: ${kind.label} × ${plan.clients} (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`)
      const result = await runCell(ctx, kind.server, cell, plan, kind.target)
      figures[kind.name] = {
        error: result.error,
        deliveriesPerSec: result.saturation?.deliveriesPerSec,
        p50Us: result.fixed?.latencyUs.p50,
        p99Us: result.fixed?.latencyUs.p99,
        undelivered: result.fixed?.undelivered,
        serverCpu: result.fixed?.cpu.server
      }
    }
    rounds.push(figures)
  }
  const of = (name, get) => rounds.map((r) => (r[name] && !r[name].error ? get(r[name]) : NaN))
  const summary = {}
  for (const { name } of KINDS) {
    summary[name] = {
      deliveriesPerSec: of(name, (f) => f.deliveriesPerSec),
      p50Us: of(name, (f) => f.p50Us),
      p99Us: of(name, (f) => f.p99Us)
    }
  }
  const ratios = {
    ownOverPageSaturation: rounds.map((r) => r.own?.deliveriesPerSec / r.page?.deliveriesPerSec),
    pageOverBareP99: rounds.map((r) => r.page?.p99Us / r.bare?.p99Us)
  }
  const result = { plan, rounds, summary, ratios }
  ctx.log(`    own route / page stream deliveries/s: median ${fmt(median(ratios.ownOverPageSaturation), 2)}× (rounds ${ratios.ownOverPageSaturation.map((v) => fmt(v, 2)).join(', ')})`)
  ctx.log(`    page p99 / bare p99 at ${plan.rate} msg/s: median ${fmt(median(ratios.pageOverBareP99), 2)}× (rounds ${ratios.pageOverBareP99.map((v) => fmt(v, 2)).join(', ')})`)
  return result
}

/** The table and targets for the summary (lib/summary.mjs). */
export function pagestreamTable (result, targets, checks) {
  const { plan } = result
  const rows = [['figure', ...KINDS.map((k) => k.label)]]
  const show = (values, f) => `${f(median(values))} (${values.map(f).join(', ')})`
  const k = (v) => (Number.isFinite(v) ? `${Math.round(v / 1000)}k` : 'n/a')
  const msf = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(1) : us === Infinity ? '∞' : 'n/a')
  rows.push(['saturation deliveries/s, median (rounds)', ...KINDS.map(({ name }) => show(result.summary[name].deliveriesPerSec, k))])
  rows.push([`${plan.rate} msg/s p50 ms, median (rounds)`, ...KINDS.map(({ name }) => show(result.summary[name].p50Us, msf))])
  rows.push([`${plan.rate} msg/s p99 ms, median (rounds)`, ...KINDS.map(({ name }) => show(result.summary[name].p99Us, msf))])
  const sat = median(result.ratios.ownOverPageSaturation)
  const p99 = median(result.ratios.pageOverBareP99)
  targets.push({ name: `pagestream × ${plan.clients}: page stream deliveries/s within 1.1× of the own route (median of rounds)`, value: `${fmt(sat, 2)}× (${result.ratios.ownOverPageSaturation.map((v) => fmt(v, 2)).join(', ')})`, pass: Number.isFinite(sat) ? sat <= 1.1 : null })
  targets.push({ name: `pagestream × ${plan.clients}: page stream p99 at ${plan.rate} msg/s within 1.25× of bare node:http (median of rounds)`, value: `${fmt(p99, 2)}× (${result.ratios.pageOverBareP99.map((v) => fmt(v, 2)).join(', ')})`, pass: Number.isFinite(p99) ? p99 <= 1.25 : null })
  for (const [i, round] of result.rounds.entries()) {
    for (const { name, label } of KINDS) if (round[name]?.error) checks.push(`pagestream round ${i + 1} ${label} failed: ${round[name].error}`)
    for (const { name, label } of KINDS) if (round[name]?.undelivered > 0) checks.push(`pagestream round ${i + 1} ${label}: ${round[name].undelivered} undelivered at ${plan.rate} msg/s`)
  }
  return {
    title: `Page stream vs own route vs bare node:http: ${plan.clients} clients, notifications channel, ${plan.rounds} alternating rounds (server on core 0, clients on core 1)`,
    rows
  }
}
