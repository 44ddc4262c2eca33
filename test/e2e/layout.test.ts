// The page's layout holds for any accepted value and any width (issue 15, finding 9): a contact
// with a 100-character unbroken name and a long email wraps inside its row (shown whole), the
// table never grows past its section, status and delete stay in the contacts section, "Load
// more" stays on screen, and at phone width (375 px) nothing scrolls sideways. htmx 2 and 4.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { saveFailureArtifacts } from './helpers/artifacts.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { PageWatch } from './helpers/page-watch.js'

const WAIT_MS = 10_000
const LONG_NAME = 'W'.repeat(100) // the longest first name the form accepts, without a space
const LONG_EMAIL = `${'e'.repeat(64)}@${'d'.repeat(60)}.example`

interface Geometry {
  viewport: number
  pageWidth: number
  section: { left: number, right: number }
  table: { left: number, right: number }
  controls: Array<{ left: number, right: number }>
  loadMore: { left: number, right: number } | null
  nameText: string
}

/** Measured in the page (a script string: the tests are compiled without the DOM's types). */
async function geometry (page: Page, contactId: number): Promise<Geometry> {
  return await page.evaluate(`(() => {
    const box = (el) => {
      if (el === null) return null
      const r = el.getBoundingClientRect()
      return { left: r.left, right: r.right }
    }
    const row = document.querySelector('tr[data-contact-id="${contactId}"]')
    return {
      viewport: document.documentElement.clientWidth,
      pageWidth: document.documentElement.scrollWidth,
      section: box(document.querySelector('section[aria-labelledby="contacts-heading"]')),
      table: box(document.querySelector('table.contacts')),
      controls: [...(row ? row.querySelectorAll('select, button') : [])].map(box),
      loadMore: box(document.querySelector('#replaceMe button')),
      nameText: row ? row.querySelector('td:nth-child(2)').innerText : ''
    }
  })()`) as Geometry
}

function assertHolds (g: Geometry, where: string): void {
  assert.ok(g.pageWidth <= g.viewport, `${where}: no sideways scrolling (page ${g.pageWidth} px, viewport ${g.viewport} px)`)
  assert.ok(g.table.right <= g.section.right + 0.5, `${where}: the table stays inside its section (${g.table.right} > ${g.section.right})`)
  assert.equal(g.controls.length, 2, `${where}: the row has its status and delete controls`)
  for (const c of g.controls) {
    assert.ok(c.left >= g.section.left && c.right <= g.section.right + 0.5, `${where}: status and delete stay in the contacts section`)
  }
  assert.ok(g.loadMore !== null && g.loadMore.right <= g.viewport, `${where}: "Load more" is on screen`)
  assert.equal(g.nameText.replace(/\s/g, ''), `${LONG_NAME}Lovelace`, `${where}: the whole name is shown`)
}

for (const htmxVersion of ['2', '4'] as const) {
  test(`a 100-character name and any width keep the layout (htmx ${htmxVersion})`, { timeout: 120_000 }, async (t) => {
    await layout(t, htmxVersion)
  })
}

async function layout (t: TestContext, htmxVersion: '2' | '4'): Promise<void> {
  const app = await startBrowserApp(t, { htmxVersion, contacts: 6, env: { CONTACTS_PAGE_SIZE: '3' } })
  if (app === undefined) return
  const { origin, servers } = app
  const { context, page } = await app.browser()
  const watch = await PageWatch.attach(context, page, origin)
  try {
    await page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
    await page.getByLabel('First name').fill(LONG_NAME)
    await page.getByLabel('Last name').fill('Lovelace')
    await page.getByLabel('Email').fill(LONG_EMAIL)
    await page.getByRole('button', { name: 'Add contact' }).click()
    const added = page.locator('#contacts-added tr[data-contact-id]')
    await added.waitFor({ timeout: WAIT_MS })
    const id = Number(await added.getAttribute('data-contact-id'))

    assertHolds(await geometry(page, id), 'at 1280 px')
    for (const width of [800, 375]) {
      await page.setViewportSize({ width, height: 800 })
      assertHolds(await geometry(page, id), `at ${width} px`)
    }
    // Reloaded at phone width, the demo data alone must not scroll sideways either.
    await page.reload({ waitUntil: 'load', timeout: WAIT_MS })
    const phone = await page.evaluate('({ page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth })') as { page: number, viewport: number }
    assert.ok(phone.page <= phone.viewport, `the page at 375 px is ${phone.page} px wide`)
    t.diagnostic(`page width at 375 px: ${phone.page} px`)
  } catch (error) {
    await saveFailureArtifacts(t, `layout (htmx ${htmxVersion})`, page, servers, watch)
    throw error
  }
}
