// What a morphing live update costs against a plain swap, in Chromium: the built service (one
// process, embedded database, in-process broker), N tabs of one browser (their stream shared
// through the SharedWorker) showing the demo page, and W writes per mode over HTTP as the page
// makes them (POST /contacts, then DELETE of that contact, in turn). Each write re-renders
// contact_count (a replace update, coalesced to one per 100 ms) in every tab with a new count. Recorded per
// tab and write:
//   - publish→DOM: from just before the write is sent to the update having landed in the tab
//     (htmx:sseMessage, after the swap; both clocks are this machine's Date.now());
//   - swap: the update's own DOM work, htmx:sseBeforeMessage → htmx:sseMessage (performance.now()).
// Modes: "morph" (hx-swap="innerMorph", the default) and "plain" (the same element switched to
// hx-swap="innerHTML", as live: { morph: false } renders it), on htmx 2 and htmx 4.
//   node --import tsx test/bench/tools/live-ux.ts [--tabs 1,20] [--writes 30]
// Needs Chromium (CHROMIUM_PATH or Debian's) and builds the project first (dist/).
import { chromium, type Page } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ServerProcess } from '../../helpers/server-process.js'
import { sleep, waitFor } from '../../helpers/wait.js'
import { buildProject } from '../../e2e/helpers/project.js'
import { CHROMIUM_ARGS, findChromium } from '../../e2e/helpers/chromium.js'

const option = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : String(process.argv[i + 1])
}
const TABS = option('--tabs', '1,20').split(',').map(Number)
const WRITES = Number(option('--writes', '30'))
/** Beyond the 100 ms coalescing window, so every write is its own update. */
const GAP_MS = 250

// In every tab before its scripts: when each contact_count update had landed (after its swap,
// both htmx fire htmx:sseMessage then), and how long the swap itself took.
const RECORDER = `(() => {
  const record = { arrivals: [], swaps: [] }
  window.__flcLux = record
  let started = 0
  const isCount = (el) => el && el.getAttribute && el.getAttribute('data-live-component') === 'contact_count'
  document.addEventListener('htmx:sseBeforeMessage', (e) => { if (isCount(e.target)) started = performance.now() })
  document.addEventListener('htmx:sseMessage', (e) => {
    if (!isCount(e.target)) return
    record.arrivals.push(Date.now())
    if (started) record.swaps.push(performance.now() - started)
    started = 0
  })
})()`

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

interface Row { htmx: string, tabs: number, mode: string, p50: number, p99: number, swapP50: number, swapP99: number, samples: number }

async function measure (htmxVersion: '2' | '4', tabs: number, executablePath: string): Promise<Row[]> {
  const server = await ServerProcess.start({
    name: `htmx ${htmxVersion}`,
    env: { DATA_DIR: 'memory://', DEMO_CONTACTS: '3', DEMO_PUBLISHER: 'off', LOG_LEVEL: 'warn', NODE_ENV: 'production', SECRET_KEYS: randomBytes(32).toString('base64url'), HTMX_VERSION: htmxVersion, STREAMS_PER_CLIENT: '1000' }
  })
  const profile = mkdtempSync(join(tmpdir(), 'flc-lux-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS })
  try {
    await context.addInitScript({ content: RECORDER })
    const pages: Page[] = []
    for (let i = 0; i < tabs; i++) {
      const page = i === 0 ? (context.pages()[0] ?? await context.newPage()) : await context.newPage()
      await page.goto(`${server.url}/`, { waitUntil: 'load' })
      pages.push(page)
    }
    for (const page of pages) {
      await waitFor(async () => await page.evaluate('document.documentElement.getAttribute("data-live-state") === "live"') === true, { what: 'a live tab', timeoutMs: 60_000 })
    }
    // The writer: the page's CSRF token and cookie, as the select's PATCH sends them.
    const first = pages[0] as Page
    const csrf = await first.evaluate('JSON.parse(document.querySelector("[hx-headers]").getAttribute("hx-headers"))["x-csrf-token"]') as string
    const cookie = (await context.cookies(server.url)).map((c) => `${c.name}=${c.value}`).join('; ')
    let added = ''
    const rows: Row[] = []
    for (const mode of ['morph', 'plain']) {
      const swap = mode === 'morph' ? 'innerMorph' : 'innerHTML'
      for (const page of pages) await page.evaluate(`document.querySelector('[data-live-component="contact_count"]').setAttribute('hx-swap', '${swap}'); window.__flcLux.arrivals.length = 0; window.__flcLux.swaps.length = 0`)
      const latencies: number[] = []
      const swaps: number[] = []
      for (let w = 0; w < WRITES; w++) {
        const before = await Promise.all(pages.map(async (page) => await page.evaluate('window.__flcLux.arrivals.length') as number))
        const sentAt = Date.now()
        // Even writes add a contact, odd ones delete it: the count changes every time.
        const response = w % 2 === 0
          ? await fetch(`${server.url}/contacts`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf, cookie, 'hx-request': 'true' },
            body: new URLSearchParams({ firstName: 'Bench', lastName: `Write ${w}`, email: `bench${w}@example.com`, status: 'active', _csrf: csrf }).toString()
          })
          : await fetch(`${server.url}/contacts/${added}`, { method: 'DELETE', headers: { 'x-csrf-token': csrf, cookie, 'hx-request': 'true' } })
        const body = await response.text()
        if (!response.ok) throw new Error(`write ${w} answered ${response.status}: ${body}`)
        if (w % 2 === 0) added = /data-contact-id="(\d+)"/.exec(body)?.[1] ?? ''
        for (const [i, page] of pages.entries()) {
          const seen = before[i] as number
          await waitFor(async () => await page.evaluate(`window.__flcLux.arrivals.length > ${seen}`) === true, { what: `write ${w} in tab ${i}`, timeoutMs: 30_000 })
          latencies.push(await page.evaluate(`window.__flcLux.arrivals[${seen}]`) as number - sentAt)
        }
        await sleep(GAP_MS)
      }
      for (const page of pages) swaps.push(...await page.evaluate('window.__flcLux.swaps') as number[])
      rows.push({ htmx: htmxVersion, tabs, mode, p50: percentile(latencies, 50), p99: percentile(latencies, 99), swapP50: percentile(swaps, 50), swapP99: percentile(swaps, 99), samples: latencies.length })
    }
    return rows
  } finally {
    await context.close().catch(() => {})
    rmSync(profile, { recursive: true, force: true })
    await server.stop()
  }
}

async function main (): Promise<void> {
  const executablePath = findChromium()
  if (executablePath === undefined) throw new Error('Chromium not found (set CHROMIUM_PATH)')
  await buildProject()
  const rows: Row[] = []
  for (const htmxVersion of ['2', '4'] as const) {
    for (const tabs of TABS) rows.push(...await measure(htmxVersion, tabs, executablePath))
  }
  console.log('| htmx | tabs | swap | publish→DOM p50 | p99 | swap work p50 | p99 | samples |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const r of rows) console.log(`| ${r.htmx} | ${r.tabs} | ${r.mode} | ${r.p50} ms | ${r.p99} ms | ${r.swapP50.toFixed(2)} ms | ${r.swapP99.toFixed(2)} ms | ${r.samples} |`)
  console.log(`loadavg: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`)
}

await main()
