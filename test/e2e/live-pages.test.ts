// Page streams in Chromium against the real service (Redis + PostgreSQL): one browser, many
// tabs, one stream; private per-session feeds; a tampered token.
//   1. 20 tabs of the demo page in one profile all load, the server sees ONE stream
//      connection for all of them (SharedWorker), every tab shows each notification exactly
//      once in both feeds, and "Load more..." still works in the 20th tab;
//   2. a second browser (its own session) never sees the first one's private notifications;
//   3. a tampered stream token is refused (403) and reads nothing;
//   4. without SharedWorker a tab streams on its own connection (the documented fallback).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { Page } from 'playwright-core'
import type { ServerProcess } from '../helpers/server-process.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { PageWatch } from './helpers/page-watch.js'
import { notification, postNotification } from './helpers/publish.js'
import { waitInPage } from './helpers/probe.js'
import { waitFor } from '../helpers/wait.js'

const TABS = 20
const WAIT_MS = 15_000

/** Titles shown so far in the page's public (first) or private feed, in arrival order. */
async function titlesIn (page: Page, which: 'public' | 'private'): Promise<string[]> {
  const selector = which === 'public' ? '#notifications-region .notification-feed' : '#private-notifications-region .notification-feed'
  return await page.evaluate(`window.__flcProbe.arrived().filter((n) => n.feed === ${JSON.stringify(selector)}).map((n) => n.title)`) as string[]
}

async function waitForTitle (page: Page, title: string): Promise<void> {
  await waitInPage(page, `probe.arrived().some((n) => n.title === ${JSON.stringify(title)})`, WAIT_MS, `"${title}" shown`)
}

/** Stream connections the server accepted (its request log: one line per incoming request). */
function streamConnections (server: ServerProcess): number {
  return server.logs().split('\n').filter((line) => line.includes('incoming request') && line.includes('"url":"/live/?')).length
}

for (const htmxVersion of ['2', '4'] as const) {
  pageStreamScenarios(htmxVersion)
}

function pageStreamScenarios (htmxVersion: '2' | '4'): void {
  test(`page streams in Chromium on htmx ${htmxVersion}: 20 tabs over one connection, private feeds, tampered token`, { timeout: 240_000 }, async (t) => {
    const token = randomBytes(16).toString('hex')
    const app = await startBrowserApp(t, {
      htmxVersion,
      contacts: 10,
      redis: 'flc_e2e_pages',
      // info: the request log counts the stream connections.
      env: { NOTIFICATIONS_TOKEN: token, LOG_LEVEL: 'info', CONTACTS_PAGE_SIZE: '3' }
    })
    if (app === undefined) return
    const { origin } = app
    const server = app.servers[0] as ServerProcess

    const first = await app.browser()
    const watch = await PageWatch.attach(first.context, first.page, origin)
    const tabs: Page[] = [first.page]
    for (let i = 1; i < TABS; i++) tabs.push(await first.context.newPage())

    await t.test(`1. ${TABS} tabs load, share one stream, show each notification once in both feeds`, async () => {
      for (const [i, tab] of tabs.entries()) {
        // Each tab is looked at once, as a person opening it would.
        await tab.bringToFront()
        await tab.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
        await waitInPage(tab, 'probe.rows().length === 3 && probe.stream().opens >= 1', WAIT_MS, `tab ${i + 1} loaded and joined the stream`)
      }
      assert.equal(streamConnections(server), 1, 'one stream connection for all tabs')
      assert.equal(await first.page.evaluate('window.htmx.version.charAt(0)'), htmxVersion)
      const session = await first.page.textContent('[data-session-id]')
      assert.ok(session !== null && /^[A-Za-z0-9_-]{22}$/.test(session), `the page shows its session id: ${session}`)

      const everyone = notification('Hello all tabs', 'public, once per tab', 'green')
      const mine = notification('Only this browser', 'private, once per tab', 'purple')
      await postNotification(origin, token, everyone)
      const response = await fetch(`${origin}/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ...mine, target: session })
      })
      assert.equal(response.status, 202, await response.text())
      for (const [i, tab] of tabs.entries()) {
        await tab.bringToFront()
        await waitForTitle(tab, mine.title)
        await waitForTitle(tab, everyone.title)
        assert.deepEqual(await titlesIn(tab, 'public'), [everyone.title], `tab ${i + 1}: public feed`)
        assert.deepEqual(await titlesIn(tab, 'private'), [mine.title], `tab ${i + 1}: private feed`)
      }
      // Page and htmx requests are not starved: the last tab still loads more contacts.
      const last = tabs[TABS - 1] as Page
      await last.bringToFront()
      await last.getByRole('button', { name: 'Load more...' }).click()
      await waitInPage(last, 'probe.rows().length === 6 && !probe.busy()', WAIT_MS, '"Load more..." in the last tab')
      assert.equal(streamConnections(server), 1, 'still one stream connection')
      assert.deepEqual(watch.problems(), [])
    })

    await t.test('2. another browser session never sees this one\'s private notifications', async () => {
      const other = await app.browser()
      await PageWatch.attach(other.context, other.page, origin)
      await other.page.bringToFront()
      await other.page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
      await waitInPage(other.page, 'probe.stream().opens >= 1', WAIT_MS, 'the other browser joined its stream')
      const mySession = await first.page.textContent('[data-session-id]')
      const otherSession = await other.page.textContent('[data-session-id]')
      assert.notEqual(mySession, otherSession)

      const secret = notification('Secret for the first browser', 'nobody else', 'red')
      const forOther = notification('For the other browser', 'only there', 'blue')
      for (const [message, target] of [[secret, mySession], [forOther, otherSession]] as const) {
        const response = await fetch(`${origin}/notifications`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ ...message, target })
        })
        assert.equal(response.status, 202)
      }
      const after = notification('Public after the secrets', 'everyone', 'black')
      await postNotification(origin, token, after)
      await waitForTitle(other.page, after.title)
      await waitForTitle(other.page, forOther.title)
      await waitForTitle(first.page, after.title)
      await waitForTitle(first.page, secret.title)
      assert.deepEqual(await titlesIn(other.page, 'private'), [forOther.title])
      assert.ok(!(await titlesIn(other.page, 'public')).includes(secret.title))
      assert.ok(!(await titlesIn(first.page, 'private')).includes(forOther.title))
    })

    await t.test('3. a tampered token is refused and reads nothing', async () => {
      const connect = await first.page.getAttribute('[data-live-page]', htmxVersion === '4' ? 'hx-sse:connect' : 'sse-connect')
      assert.ok(connect !== null)
      const status = await first.page.evaluate(`(async () => {
      const url = new URL(${JSON.stringify(connect)}, location.href)
      const token = url.searchParams.get('s')
      const [body, mac] = token.split('.')
      const claims = JSON.parse(atob(body.replace(/-/g, '+').replace(/_/g, '/')))
      claims.c.push('private_notifications:' + 'A'.repeat(22))
      const forged = btoa(JSON.stringify(claims)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')
      url.searchParams.set('s', forged + '.' + mac)
      const response = await fetch(url, { headers: { Accept: 'text/event-stream' } })
      return [response.status, await response.text()]
    })()`) as [number, string]
      assert.equal(status[0], 403)
      assert.match(status[1], /not signed by this server/)
    })

    await t.test('4. a browser without SharedWorker streams from the tab itself, each message once', async () => {
      const plain = await app.browser()
      await plain.context.addInitScript({ content: 'window.SharedWorker = undefined' })
      await PageWatch.attach(plain.context, plain.page, origin)
      const before = streamConnections(server)
      await plain.page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
      await waitInPage(plain.page, 'probe.stream().opens >= 1', WAIT_MS, 'the tab opened its own stream')
      // The server's log reaches this process through a pipe, a moment after the tab saw its stream open.
      await waitFor(() => streamConnections(server) >= before + 1, { what: 'the server to log the tab\'s stream request' })
      assert.equal(streamConnections(server), before + 1, 'the tab holds a connection of its own')
      const message = notification('Without a shared worker', 'straight to the tab', 'gray')
      await postNotification(origin, token, message)
      await waitForTitle(plain.page, message.title)
      assert.deepEqual((await titlesIn(plain.page, 'public')).filter((title) => title === message.title), [message.title])
    })
  })
}

for (const htmxVersion of ['2', '4'] as const) {
  test(`an open page renews its stream token before it expires (htmx ${htmxVersion})`, { timeout: 120_000 }, async (t) => {
    const token = randomBytes(16).toString('hex')
    const app = await startBrowserApp(t, {
      htmxVersion,
      contacts: 3,
      database: 'memory',
      redis: 'flc_e2e_renew',
      env: {
        NOTIFICATIONS_TOKEN: token,
        // Short, so renewals happen within the test (the page renews after 80% of it), yet with
        // room for a renewal round trip on a loaded machine (1 s, the shortest allowed, was not).
        LIVE_TOKEN_TTL_MS: '3000'
      }
    })
    if (app === undefined) return
    const { origin } = app
    const { context, page } = await app.browser()
    const watch = await PageWatch.attach(context, page, origin)
    await page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
    await waitInPage(page, 'probe.stream().opens >= 1', WAIT_MS, 'the page joined its stream')
    const attribute = htmxVersion === '4' ? 'hx-sse:connect' : 'sse-connect'
    const tokenNow = async (): Promise<string> => new URL(await page.getAttribute('[data-live-page]', attribute) ?? '', origin).searchParams.get('s') ?? ''
    const first = await tokenNow()
    // Renewed at least twice: the page keeps renewing, not once.
    let renewed = first
    for (let round = 0; round < 2; round++) {
      const previous = renewed
      const condition = `new URL(document.querySelector('[data-live-page]').getAttribute(${JSON.stringify(attribute)}), location.href).searchParams.get('s') !== ${JSON.stringify(previous)}`
      await waitInPage(page, condition, WAIT_MS, `stream token renewal ${round + 1}`)
      renewed = await tokenNow()
    }
    // As the browser: its session cookie goes with the stream (the page carries a private feed).
    const cookie = (await context.cookies(origin)).map((c) => `${c.name}=${c.value}`).join('; ')
    const [expired, fresh] = await Promise.all([first, renewed].map(async (s) => {
      const response = await fetch(`${origin}/live/?s=${s}`, { headers: { Accept: 'text/event-stream', cookie }, signal: AbortSignal.timeout(5000) })
      await response.body?.cancel()
      return response.status
    }))
    assert.equal(expired, 403, 'the token the page was rendered with has expired')
    assert.equal(fresh, 200, 'the renewed token opens the stream')
    // The open stream still delivers.
    const message = notification('After renewals', 'still live', 'green')
    await postNotification(origin, token, message)
    await waitForTitle(page, message.title)
    assert.deepEqual(watch.problems(), [])
  })
}
