// End to end in Chromium, on htmx 2 and htmx 4: a contact added in one browser appears in every
// other open browser's table and live contact count, also when those browsers are served by
// another instance (two server processes sharing PostgreSQL and Redis); its edit and its delete
// reach every table and count the same way. Waits poll through DevTools (waitInPage): the pages' CSP refuses eval.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { saveFailureArtifacts } from './helpers/artifacts.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { PageWatch } from './helpers/page-watch.js'
import { waitInPage } from './helpers/probe.js'

const WAIT_MS = 15_000

const countIs = (n: number) => `document.querySelector('[data-contact-count]')?.getAttribute('data-contact-count') === '${n}'`
const rowOf = (email: string) => `Array.from(document.querySelectorAll('#contacts-added tr[data-contact-id]')).filter((row) => row.textContent.includes(${JSON.stringify(email)})).length`

for (const htmxVersion of ['2', '4'] as const) {
  test(`live contacts in Chromium on htmx ${htmxVersion}: added in one browser, shown in every browser on both instances`, { timeout: 180_000 }, async (t) => {
    // Two instances sharing PostgreSQL, Redis and SECRET_KEYS, as replicas do.
    const app = await startBrowserApp(t, { htmxVersion, contacts: 2, redis: 'flc_e2e_live_contacts', instances: ['one', 'two'], env: { CONTACTS_PAGE_SIZE: '5' } })
    if (app === undefined) return
    const { servers } = app
    const origins = servers.map((server) => server.url)
    // Three browsers (separate profiles): the writer and a reader on instance one, a reader on two.
    const browsers = await Promise.all([0, 1, 0].map(async (instance) => ({ instance, ...await app.browser() })))
    const watches = await Promise.all(browsers.map(async ({ context, page, instance }) => await PageWatch.attach(context, page, origins[instance] as string)))
    const pages: Page[] = browsers.map((browser) => browser.page)
    const [writer] = pages as [Page]
    try {
      for (const [i, browser] of browsers.entries()) {
        await browser.page.goto(`${origins[browser.instance]}/`, { waitUntil: 'load', timeout: WAIT_MS })
        await waitInPage(browser.page, `${countIs(2)} && probe.stream().opens >= 1`, WAIT_MS, `browser ${i + 1} shows 2 contacts and joined its stream`)
      }

      await writer.getByLabel('First name').fill('Grace')
      await writer.getByLabel('Last name').fill('Hopper')
      await writer.getByLabel('Email').fill('grace@navy.mil')
      await writer.getByRole('button', { name: 'Add contact' }).click()
      for (const [i, page] of pages.entries()) {
        await waitInPage(page, `${countIs(3)} && ${rowOf('grace@navy.mil')} === 1`, WAIT_MS, `browser ${i + 1}: the new row (once) and the count`)
      }
      // The writer got the row twice (its form's answer and the live update): shown once.
      await waitInPage(writer, `!probe.busy() && ${rowOf('grace@navy.mil')} === 1`, WAIT_MS, 'the writer shows the row once')

      // Edited in the writer: every table shows the new status.
      await writer.locator('#contacts-added select[name="status"]').selectOption('inactive')
      for (const [i, page] of pages.entries()) {
        await waitInPage(page, 'document.querySelector(\'#contacts-added tr[data-contact-id] select\')?.value === \'inactive\' && !probe.busy()', WAIT_MS, `browser ${i + 1}: the edited status`)
      }

      // Deleted in the browser on instance two: the row leaves every table, every count goes back.
      const reader = pages[1] as Page
      await reader.locator('#contacts-added').getByRole('button', { name: 'Delete Grace Hopper' }).click()
      for (const [i, page] of pages.entries()) {
        await waitInPage(page, `${countIs(2)} && ${rowOf('grace@navy.mil')} === 0`, WAIT_MS, `browser ${i + 1}: the row gone and the count after the delete`)
      }
      assert.deepEqual(watches.flatMap((watch) => watch.problems()), [], 'no console errors (CSP violations included), no failed requests')
    } catch (error) {
      await saveFailureArtifacts(t, `live contacts htmx ${htmxVersion}`, writer, servers, watches[0] as PageWatch)
      throw error
    }
  })
}
