// End to end in Chromium: a person adds a contact with the form (first with a mistake, which is
// shown inline and loses nothing typed), changes its status in the table, sees it move into its
// place when "Load more..." brings it, and deletes it, all through htmx 2 or htmx 4 answers, under a strict Content-Security-Policy (scripts from 'self' only: no
// inline script, no eval, no hx-on), against the built service and real PostgreSQL.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { saveFailureArtifacts } from './helpers/artifacts.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { PageWatch } from './helpers/page-watch.js'
import { contactRows, waitInPage } from './helpers/probe.js'

const WAIT_MS = 10_000
/** What issue 8 will send; applied here by the browser test so the markup is checked against it now. */
const STRICT_CSP = "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

async function stored (databaseUrl: string, email: string): Promise<{ id: number, status: string } | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: number, status: string }>('SELECT id, status::text AS status FROM contacts WHERE email = $1', [email])
    return rows[0]
  } finally {
    await client.end()
  }
}

// htmx 2 and htmx 4 (HTMX_VERSION) read the same markup differently: the CSRF header and the
// new row's out-of-band swap are checked on both.
for (const htmxVersion of ['2', '4'] as const) {
  test(`a person adds, edits and deletes a contact in Chromium (htmx ${htmxVersion})`, { timeout: 120_000 }, async (t) => {
    await addEditDelete(t, htmxVersion)
  })
}

async function addEditDelete (t: TestContext, htmxVersion: '2' | '4'): Promise<void> {
  // One more than a page: "Load more..." later brings the new contact into its place.
  const app = await startBrowserApp(t, { htmxVersion, contacts: 6, env: { CONTACTS_PAGE_SIZE: '5' } })
  if (app === undefined) return
  const { origin, servers } = app
  const databaseUrl = app.databaseUrl as string
  const { context, page } = await app.browser()
  // The strict policy on every page the service sends (it is not the service's job yet).
  await context.route(`${origin}/`, async (route) => {
    const response = await route.fetch()
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } })
  })
  const watch = await PageWatch.attach(context, page, origin)

  try {
    await page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
    const before = await contactRows(page)
    assert.equal(before.length, 5)

    // A mistake first: the email is not an address. The form comes back with the error inline.
    await page.getByLabel('First name').fill('Grace')
    await page.getByLabel('Last name').fill('Hopper')
    await page.getByLabel('Email').fill('grace at navy')
    await page.locator('.contact-form select[name="status"]').selectOption('inactive')
    await page.getByRole('button', { name: 'Add contact' }).click()
    await page.locator('.contact-form .field-error').first().waitFor({ timeout: WAIT_MS })
    assert.match(await page.locator('.contact-form .field-error').innerText(), /email address/)
    assert.equal(await page.getByLabel('First name').inputValue(), 'Grace', 'what was typed is kept')
    assert.equal(await page.locator('.contact-form select[name="status"]').inputValue(), 'inactive')
    assert.equal(await stored(databaseUrl, 'grace@navy.mil'), undefined)

    await page.getByLabel('Email').fill('grace@navy.mil')
    await page.getByRole('button', { name: 'Add contact' }).click()
    await page.locator('.contact-form__added').waitFor({ timeout: WAIT_MS })
    const grace = await stored(databaseUrl, 'grace@navy.mil')
    assert.ok(grace !== undefined, 'the contact is stored')
    assert.equal(grace.status, 'inactive')
    const added = page.locator(`#contacts-added tr[data-contact-id="${grace.id}"]`)
    await added.waitFor({ timeout: WAIT_MS })
    assert.match(await added.innerText(), /Grace Hopper/)
    assert.equal(await page.getByLabel('First name').inputValue(), '', 'a fresh form after adding')
    assert.equal(await page.locator('#contacts-heading ~ template, #contacts-heading ~ hx-partial').count(), 0, 'nothing of the out-of-band answer is left in the page')
    assert.equal(await page.locator('.contact-form').count(), 1)

    // Inline status edit: the row is replaced by the server's answer.
    const patched = page.waitForResponse((r) => r.request().method() === 'PATCH', { timeout: WAIT_MS })
    await added.locator('select[name="status"]').selectOption('active')
    assert.equal((await patched).status(), 200)
    await waitInPage(page, `document.querySelector('#contacts-added tr[data-contact-id="${grace.id}"] select').value === 'active' && !probe.busy()`, WAIT_MS, 'the edited row')
    assert.equal((await stored(databaseUrl, 'grace@navy.mil'))?.status, 'active')

    // "Load more..." brings the new contact in its place in the table: the top copy goes.
    await page.getByRole('button', { name: 'Load more...' }).click()
    await waitInPage(page, `document.querySelector('#contacts-body tr[data-contact-id="${grace.id}"]') !== null && document.querySelector('#contacts-added tr') === null && !probe.busy()`, WAIT_MS, 'the new contact in its place, once')
    const row = page.locator(`#contacts-body tr[data-contact-id="${grace.id}"]`)

    // Delete: the row goes from the table and from the database.
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE', { timeout: WAIT_MS })
    await row.getByRole('button', { name: 'Delete Grace Hopper' }).click()
    assert.equal((await deleted).status(), 200)
    await row.waitFor({ state: 'detached', timeout: WAIT_MS })
    assert.equal(await stored(databaseUrl, 'grace@navy.mil'), undefined)
    assert.deepEqual((await contactRows(page)).slice(0, before.length), before, 'the rest of the table is unchanged')

    // Chromium notes every 4xx answer in the console; the one 422 (the form with its inline
    // error, on purpose) is expected. Anything else, CSP violations included, is a problem.
    const expected = (p: string): boolean => /status of 422 .*\/contacts\)$/.test(p)
    assert.equal(watch.problems().filter(expected).length, 1, 'the invalid form answered 422 once')
    assert.deepEqual(watch.problems().filter((p) => !expected(p)), [], 'no console errors (CSP violations included), no failed requests')
  } catch (error) {
    await saveFailureArtifacts(t, `contacts in the browser (htmx ${htmxVersion})`, page, servers, watch)
    throw error
  }
}
