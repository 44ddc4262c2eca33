// The page says when it is cut off, in Chromium on htmx 2 and htmx 4, for a browser sharing its
// stream through the SharedWorker and for one without SharedWorker (a stream of the tab's own):
//   1. once connected, <html> and the stream element carry data-live-state="live" and the
//      notice region (role=status, polite) is empty;
//   2. the server stops: the state turns "reconnecting" and the notice says so, visibly;
//   3. the server starts again on the same port: the state is "live" again, the notice is gone,
//      and a notification published after the restart arrives in both.
// Redis keeps the channels' ids across the restart, as in a deployment.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { Page } from 'playwright-core'
import { saveFailureArtifacts } from './helpers/artifacts.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { PageWatch } from './helpers/page-watch.js'
import { waitForNotification, waitInPage } from './helpers/probe.js'
import { notification, postNotification } from './helpers/publish.js'
import type { ServerProcess } from '../helpers/server-process.js'

const WAIT_MS = 30_000
const NOTICE = 'Connection lost — reconnecting…'

const stateIs = (state: string) => `document.documentElement.getAttribute('data-live-state') === '${state}' && document.querySelector('[data-live-page]').getAttribute('data-live-state') === '${state}'`
const noticeText = 'document.querySelector(\'[data-live-notice]\')?.textContent'

for (const htmxVersion of ['2', '4'] as const) {
  test(`the page shows its connection state across a server restart (htmx ${htmxVersion}, with and without SharedWorker)`, { timeout: 240_000 }, async (t) => {
    const token = randomBytes(16).toString('hex')
    const app = await startBrowserApp(t, {
      htmxVersion,
      contacts: 3,
      database: 'memory',
      redis: 'flc_e2e_state',
      env: { NOTIFICATIONS_TOKEN: token, SSE_RETRY_MS: '500' }
    })
    if (app === undefined) return
    const { origin, servers } = app
    const port = Number(new URL(origin).port)
    const shared = await app.browser()
    const plain = await app.browser()
    await plain.context.addInitScript({ content: 'window.SharedWorker = undefined' })
    const browsers: Array<{ name: string, page: Page, watch: PageWatch }> = [
      { name: 'SharedWorker', page: shared.page, watch: await PageWatch.attach(shared.context, shared.page, origin) },
      { name: 'no SharedWorker', page: plain.page, watch: await PageWatch.attach(plain.context, plain.page, origin) }
    ]
    try {
      await t.test('1. connected: live, no notice', async () => {
        for (const { name, page } of browsers) {
          await page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
          await waitInPage(page, `${stateIs('live')} && ${noticeText} === ''`, WAIT_MS, `${name}: the page is live and says nothing`)
          const region = await page.evaluate('(() => { const n = document.querySelector(\'[data-live-notice]\'); return [n.getAttribute(\'role\'), n.getAttribute(\'aria-live\')] })()')
          assert.deepEqual(region, ['status', 'polite'], `${name}: the notice is a polite status region`)
        }
        assert.equal(await shared.page.evaluate('typeof window.SharedWorker'), 'function')
        assert.equal(await plain.page.evaluate('typeof window.SharedWorker'), 'undefined')
      })

      await t.test('2. the server stops: reconnecting, and the notice says so', async () => {
        for (const { watch } of browsers) watch.beginOutage('server stopped')
        await (servers[0] as ServerProcess).stop()
        for (const { name, page } of browsers) {
          await waitInPage(page, `${stateIs('reconnecting')} && ${noticeText} === ${JSON.stringify(NOTICE)}`, WAIT_MS, `${name}: reconnecting, with the notice`)
          assert.equal(await page.locator('[data-live-notice]').isVisible(), true, `${name}: the notice is visible`)
          assert.equal(await page.getByRole('status').filter({ hasText: NOTICE }).count(), 1, `${name}: one status says it`)
        }
      })

      await t.test('3. the server is back on the same port: live again, the notice gone, updates arrive', async () => {
        await app.start('server (restarted)', port)
        for (const { name, page } of browsers) {
          await waitInPage(page, `${stateIs('live')} && ${noticeText} === ''`, WAIT_MS, `${name}: live again and the notice gone`)
        }
        for (const { watch } of browsers) watch.endOutage()
        const message = notification('After the restart', 'the stream is back', 'blue')
        await postNotification(origin, token, message)
        for (const { page } of browsers) await waitForNotification(page, message.title, WAIT_MS)
      })

      for (const { name, watch } of browsers) assert.deepEqual(watch.problems(), [], `${name}: no console errors, no failed requests outside the outage`)
    } catch (error) {
      for (const { name, page, watch } of browsers) await saveFailureArtifacts(t, `connection state htmx ${htmxVersion} ${name}`, page, app.servers, watch)
      throw error
    }
  })
}
