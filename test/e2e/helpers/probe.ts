// Node-side readers for in-page-probe.js (window.__flcProbe). The browser code lives in that
// plain script, so these pass expressions as strings: the project compiles without DOM types.
import type { Page } from 'playwright-core'
import { waitFor } from '../../helpers/wait.js'

export interface ArrivedNotification {
  title: string
  /** Whole text as shown (title, message, time), whitespace collapsed. */
  text: string
  /** The colour it was published with (data-color; shown as an accent, the text stays ink). */
  color: string
  role: string | null
  /** Inserted while its feed was a live region speaking (not silenced by a reconnect's catch-up). */
  announced: boolean
  /** Date.now() in the page when it was inserted. */
  at: number
}

export interface StreamCounts {
  /** Successful stream connections: the first one plus every reconnect. */
  opens: number
  errors: number
}

export interface FeedView {
  max: number
  /** Titles shown, newest first. */
  titles: string[]
  images: number
}

export interface LoadMoreButton {
  text: string
  /** True when rows follow the button (it should be the table's last row). */
  rowsAfter: boolean
}

export async function arrivedNotifications (page: Page): Promise<ArrivedNotification[]> {
  return await page.evaluate('window.__flcProbe.arrived()') as ArrivedNotification[]
}

export async function streamCounts (page: Page): Promise<StreamCounts> {
  return await page.evaluate('window.__flcProbe.stream()') as StreamCounts
}

export async function contactRows (page: Page): Promise<string[][]> {
  return await page.evaluate('window.__flcProbe.rows()') as string[][]
}

export async function loadMoreButton (page: Page): Promise<LoadMoreButton | null> {
  return await page.evaluate('window.__flcProbe.loadMore()') as LoadMoreButton | null
}

export async function feedView (page: Page): Promise<FeedView | null> {
  return await page.evaluate('window.__flcProbe.feed()') as FeedView | null
}

/**
 * Waits until the page's probe says `condition` (a JS expression over `probe`, the page's
 * window.__flcProbe). On timeout the error names what was awaited and what the page showed.
 */
export async function waitInPage (page: Page, condition: string, timeoutMs: number, what: string): Promise<void> {
  try {
    // Polled from here with page.evaluate (DevTools evaluation, outside the page's CSP), not
    // page.waitForFunction: that one evaluates a string inside the page, which the page's strict
    // Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    const holds = async () => await page.evaluate(`(() => { const probe = window.__flcProbe; return Boolean(${condition}) })()`) === true
    await waitFor(holds, { what, timeoutMs, intervalMs: 20 })
  } catch (error) {
    const state = await page.evaluate('({ stream: window.__flcProbe.stream(), arrived: window.__flcProbe.arrived().map((n) => n.title), rows: window.__flcProbe.rows().length })')
      .catch((e: Error) => `unreadable: ${e.message}`)
    throw new Error(`${what}: not seen within ${timeoutMs} ms (${(error as Error).message.split('\n')[0]}); page state: ${JSON.stringify(state)}`)
  }
}

/** Waits until a notification with this title has arrived (the feed may have trimmed it since). */
export async function waitForNotification (page: Page, title: string, timeoutMs: number): Promise<ArrivedNotification> {
  await waitInPage(page, `probe.arrived().some((n) => n.title === ${JSON.stringify(title)})`, timeoutMs, `notification ${JSON.stringify(title)} shown in the page`)
  const found = (await arrivedNotifications(page)).find((n) => n.title === title)
  if (found === undefined) throw new Error(`notification ${JSON.stringify(title)} vanished from the probe`)
  return found
}
