// tabs: what sharing the page stream across a browser's tabs costs and saves, in real Chromium
// against the built product. Side by side in one run, on one server:
//   - shared:   SharedWorker (the default), 1, 6 and 20 tabs in one browser profile;
//   - fallback: SharedWorker removed (window.SharedWorker = undefined before any page script),
//               1 and 6 tabs, each holding its own connection; and 8 tabs, to show that tabs 7
//               and 8 cannot load while six streams hold HTTP/1.1's 6 connections per host
//               (reported, not asserted).
// Figures per cell: stream connections the server holds (flc_live_streams_open from GET
// /metrics), publish→DOM latency per delivery (POST /notifications → the .notification element
// inserted in a tab, recorded by test/e2e/helpers/in-page-probe.js with the page's Date.now();
// same machine, same clock), the pages' JS heap (CDP Performance.getMetrics) and the whole
// browser's memory (PSS of the Chromium process tree, /proc/<pid>/smaps_rollup).
// Every wait is bounded; every browser and the server are ended when the scenario ends.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { HOST, startServer } from '../lib/servers.mjs'
import { sleep } from '../lib/procs.mjs'

const PROBE = fileURLToPath(new URL('../../e2e/helpers/in-page-probe.js', import.meta.url))
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const WAIT_MS = 20_000
const BLOCKED_WAIT_MS = 8_000 // how long tabs 7–8 of the fallback are given to load

export function tabsPlan (quick) {
  return {
    cells: [
      { mode: 'shared', tabs: 1 },
      { mode: 'shared', tabs: 6 },
      { mode: 'shared', tabs: 20 },
      { mode: 'fallback', tabs: 1 },
      { mode: 'fallback', tabs: 6 },
      { mode: 'fallback', tabs: 8, blockedProbe: true }
    ],
    messages: quick ? 5 : 30,
    intervalMs: 200
  }
}

async function streamsOpen (origin, metricsToken) {
  const response = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` }, signal: AbortSignal.timeout(5000) })
  const text = await response.text()
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}: ${text.slice(0, 200)}`)
  const line = text.split('\n').find((l) => l.startsWith('flc_live_streams_open '))
  if (line === undefined) throw new Error('GET /metrics has no flc_live_streams_open')
  return Number(line.split(' ')[1])
}

/** Polls until the server holds `expected` streams (connections settle after a close). */
async function streamsSettled (origin, metricsToken, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let n = await streamsOpen(origin, metricsToken)
  while (n !== expected && Date.now() < deadline) {
    await sleep(100)
    n = await streamsOpen(origin, metricsToken)
  }
  return n
}

/** Polled from here with page.evaluate: the page's CSP refuses the eval of page.waitForFunction. */
async function waitInPage (page, expression, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await page.evaluate(`(() => { const probe = window.__flcProbe; return Boolean(probe && (${expression})) })()`).catch(() => false) === true) return true
    await sleep(20)
  }
  return false
}

/** The Chromium process tree started for this profile, and its PSS (proportional: shared pages split). */
function browserPssBytes (userDataDir) {
  const procs = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      procs.push({ pid: Number(entry), ppid, cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8') })
    } catch {}
  }
  const roots = procs.filter((p) => p.cmdline.includes(`--user-data-dir=${userDataDir}`)).map((p) => p.pid)
  const tree = new Set(roots)
  for (let grew = true; grew;) {
    grew = false
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true }
  }
  let bytes = 0
  for (const pid of tree) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
      if (m) bytes += Number(m[1]) * 1024
    } catch {}
  }
  return { bytes, processes: tree.size }
}

async function jsHeapUsed (page) {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Performance.enable')
    const { metrics } = await cdp.send('Performance.getMetrics')
    return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0
  } finally {
    await cdp.detach().catch(() => {})
  }
}

/**
 * The shared worker's JS heap, through a browser-level DevTools session (Playwright does not
 * expose shared workers): attach to its target and ask Runtime.getHeapUsage. null when absent.
 */
async function workerHeapUsed (context) {
  const browser = context.browser()
  if (!browser) return null
  const cdp = await browser.newBrowserCDPSession()
  try {
    const { targetInfos } = await cdp.send('Target.getTargets')
    const worker = targetInfos.find((t) => t.type === 'shared_worker')
    if (!worker) return null
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false })
    const answer = new Promise((resolve) => {
      cdp.on('Target.receivedMessageFromTarget', (event) => {
        if (event.sessionId !== sessionId) return
        const message = JSON.parse(event.message)
        if (message.id === 1) resolve(message.result?.usedSize ?? null)
      })
    })
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }) })
    return await Promise.race([answer, sleep(5000).then(() => null)])
  } catch {
    return null
  } finally {
    await cdp.detach().catch(() => {})
  }
}

function percentile (sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

async function launch (mode) {
  const userDataDir = mkdtempSync(join(process.env.TMPDIR || '/tmp', 'flc-bench-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000
    })
    await context.addInitScript({ path: PROBE })
    if (mode === 'fallback') await context.addInitScript({ content: 'window.SharedWorker = undefined' })
    return {
      context,
      userDataDir,
      async close () {
        await Promise.race([context.close().catch(() => {}), sleep(10_000)])
        rmSync(userDataDir, { recursive: true, force: true })
      }
    }
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true })
    throw error
  }
}

async function cell (ctx, server, plan, { mode, tabs, blockedProbe = false }) {
  const browser = await launch(mode)
  try {
    const { context } = browser
    const pages = [context.pages()[0] ?? await context.newPage()]
    while (pages.length < tabs) pages.push(await context.newPage())
    // Tabs open one after another, as a person opens them; the fallback's 7th and later tabs
    // are given BLOCKED_WAIT_MS together.
    const loadable = blockedProbe ? 6 : tabs
    for (const [i, page] of pages.slice(0, loadable).entries()) {
      await page.goto(`${server.origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
      if (!await waitInPage(page, 'probe.stream().opens >= 1', WAIT_MS)) throw new Error(`tab ${i + 1} did not open its stream within ${WAIT_MS} ms`)
    }
    let blocked = null
    if (blockedProbe) {
      const extra = pages.slice(loadable)
      const outcomes = await Promise.all(extra.map((page) => page.goto(`${server.origin}/`, { waitUntil: 'load', timeout: BLOCKED_WAIT_MS }).then(() => 'loaded', () => 'not loaded')))
      blocked = { waitedMs: BLOCKED_WAIT_MS, tabs: outcomes.map((o, i) => `tab ${loadable + i + 1}: ${o}`) }
      ctx.log(`    fallback, ${tabs} tabs: ${blocked.tabs.join(', ')} within ${BLOCKED_WAIT_MS} ms`)
    }
    const active = pages.slice(0, loadable)
    // Without SharedWorker a hidden tab rests its stream after 10 s: say whether any was hidden.
    let visibleTabs = 0
    for (const page of active) if (await page.evaluate('document.visibilityState') === 'visible') visibleTabs++
    await sleep(500)
    const connections = await streamsOpen(server.origin, server.metricsToken)

    // Publish→DOM: messages spaced intervalMs apart, each stamped with its send time.
    const sent = []
    for (let i = 0; i < plan.messages; i++) {
      const title = `tabs ${mode} ${tabs} #${i}`
      const at = Date.now()
      const response = await fetch(`${server.origin}/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.notificationsToken}` },
        body: JSON.stringify({ id: `${mode}-${tabs}-${i}`, title, message: `sent ${at}`, color: 'blue', timestamp: new Date(at).toUTCString() }),
        signal: AbortSignal.timeout(5000)
      })
      if (response.status !== 202) throw new Error(`POST /notifications answered ${response.status}: ${await response.text()}`)
      sent.push({ title, at })
      await sleep(plan.intervalMs)
    }
    const lastTitle = JSON.stringify(sent[sent.length - 1].title)
    for (const page of active) await waitInPage(page, `probe.arrived().some((n) => n.title === ${lastTitle})`, WAIT_MS)
    const latencies = []
    let missing = 0
    let duplicates = 0
    for (const page of active) {
      const arrived = await page.evaluate('window.__flcProbe.arrived().filter((n) => n.feed === "#notifications-region .notification-feed")')
      for (const s of sent) {
        const seen = arrived.filter((n) => n.title === s.title)
        if (seen.length === 0) missing++
        else latencies.push(seen[0].at - s.at)
        if (seen.length > 1) duplicates += seen.length - 1
      }
    }
    latencies.sort((a, b) => a - b)
    // Undelivered messages count as infinitely late, so a loss cannot look fast.
    const all = [...latencies, ...Array(missing).fill(Infinity)]

    const heaps = []
    for (const page of active) heaps.push(await jsHeapUsed(page))
    const workerHeap = await workerHeapUsed(context)
    const pss = browserPssBytes(browser.userDataDir)
    const result = {
      mode,
      tabs,
      loadedTabs: active.length,
      visibleTabs,
      connections,
      deliveries: latencies.length,
      missing,
      duplicates,
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      jsHeapBytes: heaps.reduce((a, b) => a + b, 0),
      workerHeapBytes: workerHeap,
      browserPssBytes: pss.bytes,
      browserProcesses: pss.processes,
      blocked
    }
    ctx.log(`    ${mode}, ${tabs} tabs (${visibleTabs} visible): ${connections} server stream(s), p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, missing ${missing}, JS heap ${(result.jsHeapBytes / 2 ** 20).toFixed(1)} MiB (worker ${workerHeap === null ? '–' : (workerHeap / 2 ** 20).toFixed(2)} MiB), browser PSS ${(pss.bytes / 2 ** 20).toFixed(0)} MiB in ${pss.processes} processes`)
    return result
  } finally {
    await browser.close()
  }
}

export async function tabs (ctx) {
  if (!ctx.hasOurs) return { skipped: 'the product is not built' }
  const plan = tabsPlan(ctx.quick)
  const notificationsToken = randomBytes(16).toString('hex')
  const metricsToken = randomBytes(16).toString('hex')
  const server = await startServer('ours', {
    ctx,
    env: {
      ...ctx.oursEnv(),
      CHANNEL_PREFIX: `${ctx.runId}_tabs_`,
      NOTIFICATIONS_TOKEN: notificationsToken,
      METRICS_TOKEN: metricsToken
    },
    profileName: 'tabs'
  })
  server.origin = `http://${HOST}:${server.port}`
  server.notificationsToken = notificationsToken
  server.metricsToken = metricsToken
  const cells = []
  try {
    for (const c of plan.cells) {
      // Each cell starts from a server that holds no stream (the last browser's have closed).
      const before = await streamsSettled(server.origin, metricsToken, 0, 10_000)
      if (before !== 0) ctx.log(`    note: ${before} stream(s) still open before ${c.mode} ${c.tabs}`)
      cells.push(await cell(ctx, server, plan, c).catch((error) => ({ ...c, error: error.message.split('\n')[0] })))
    }
  } finally {
    await server.stop()
  }
  return { plan, broker: 'redis', cells }
}

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const msOf = (v) => (v === null || v === undefined ? '–' : v === Infinity ? '∞' : `${v} ms`)

/** The table for the summary (see lib/summary.mjs). */
export function tabsTable (result) {
  const rows = [['mode', 'tabs', 'tabs loaded', 'server streams', 'publish→DOM p50', 'p99', 'deliveries (missing)', 'JS heap, all tabs', 'worker JS heap', 'browser PSS']]
  for (const c of result.cells) {
    const mode = c.mode === 'shared' ? 'SharedWorker' : 'no SharedWorker'
    if (c.error) { rows.push([mode, String(c.tabs), '', `failed: ${c.error}`, '', '', '', '', '', '']); continue }
    const loaded = c.blocked ? `${c.loadedTabs} (${c.tabs - c.loadedTabs} not loaded in ${c.blocked.waitedMs / 1000} s)` : String(c.loadedTabs)
    rows.push([mode, String(c.tabs), loaded, String(c.connections), msOf(c.p50Ms), msOf(c.p99Ms), `${c.deliveries} (${c.missing})`, mib(c.jsHeapBytes), c.workerHeapBytes === null ? '–' : mib(c.workerHeapBytes), mib(c.browserPssBytes)])
  }
  return { title: 'Tabs: one page stream per browser (SharedWorker) vs one per tab (Chromium, HTTP/1.1)', rows }
}
