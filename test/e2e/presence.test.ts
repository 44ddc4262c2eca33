// Presence in Chromium on two instances sharing Redis: two browsers (two sessions), each on
// its own instance, both read "2 people here"; a second tab of one browser changes nothing
// (sessions, not tabs); closing the other browser brings the first back to "Only you are here".
// axe finds no serious or critical violation with presence shown.
import { test } from 'node:test'
import type { Page } from 'playwright-core'
import type { ServerProcess } from '../helpers/server-process.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { assertAccessible } from './helpers/axe.js'
import { waitFor } from '../helpers/wait.js'

const WAIT_MS = 20_000

async function presenceText (page: Page): Promise<string> {
  return await page.evaluate('document.querySelector("[data-live-component=presence] .presence")?.textContent ?? ""') as string
}

/** Polled with page.evaluate (outside the page's CSP, which refuses waitForFunction's eval). */
async function waitForPresence (page: Page, text: string): Promise<void> {
  try {
    await waitFor(async () => await presenceText(page) === text, { what: `"${text}"`, timeoutMs: WAIT_MS, intervalMs: 50 })
  } catch (error) {
    throw new Error(`${(error as Error).message}; the page shows "${await presenceText(page)}"`)
  }
}

for (const htmxVersion of ['2', '4'] as const) {
  test(`presence in Chromium on htmx ${htmxVersion}: two browsers on two instances, then one closes`, { timeout: 240_000 }, async (t) => {
    const app = await startBrowserApp(t, { htmxVersion, contacts: 3, redis: 'flc_e2e_presence', instances: ['a', 'b'] })
    if (app === undefined) return
    const [a, b] = app.servers as [ServerProcess, ServerProcess]

    const first = await app.browser()
    await first.page.goto(`${a.url}/`)
    await waitForPresence(first.page, 'Only you are here')

    const second = await app.browser()
    await second.page.goto(`${b.url}/`)
    await waitForPresence(second.page, '2 people here')
    await waitForPresence(first.page, '2 people here')
    // axe: no serious or critical violation with presence shown.
    await assertAccessible(first.page, 'presence shown')

    // The first browser opens a second tab on the other instance: still two people.
    const tab = await first.context.newPage()
    await tab.goto(`${b.url}/`)
    await waitForPresence(tab, '2 people here')

    await second.context.close()
    await waitForPresence(first.page, 'Only you are here')
    await waitForPresence(tab, 'Only you are here')
  })
}
