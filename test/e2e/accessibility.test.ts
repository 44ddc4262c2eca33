// Accessibility of the demo page (issue 17), htmx 2 and 4, in Chromium with axe-core:
//   1. axe finds no serious or critical violation: initially, after "Load more", with one
//      notification of each of the seed's six colours, and with the form showing its errors
//      (each state is one `checkAxe(name)` call: a state added later, e.g. the connection
//      notice or presence, is one more call; other browser tests can call
//      `assertAccessible(page, state)` from helpers/axe.ts the same way);
//   2. notifications keep their colour as an accent while their text stays the ink colour,
//      and the feeds are polite logs (no role=alert);
//   3. keyboard only: Tab reaches the form, typing and Enter add a contact, Enter on Delete
//      removes it and focus stays in the table;
//   4. every control the keyboard reaches shows a visible focus style (≥ 3:1 against white);
//   5. live notifications are announced (inserted into a polite log), a reconnect's replay is
//      shown but not announced, and nothing is inserted twice.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { Page } from 'playwright-core'
import { saveFailureArtifacts } from './helpers/artifacts.js'
import { assertAccessible } from './helpers/axe.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { PageWatch } from './helpers/page-watch.js'
import { arrivedNotifications, streamCounts, waitForNotification, waitInPage } from './helpers/probe.js'
import { notification, postNotification } from './helpers/publish.js'
import type { ServerProcess } from '../helpers/server-process.js'

const WAIT_MS = 10_000
/** The seed's colours (components/notification/message.ts). */
const SEED_COLORS = ['blue', 'green', 'red', 'black', 'gray', 'purple']

for (const htmxVersion of ['2', '4'] as const) {
  test(`the demo page is accessible (axe, keyboard, focus; htmx ${htmxVersion})`, { timeout: 180_000 }, async (t) => {
    await accessibility(t, htmxVersion)
  })
}

async function accessibility (t: TestContext, htmxVersion: '2' | '4'): Promise<void> {
  const token = randomBytes(16).toString('hex')
  const app = await startBrowserApp(t, {
    htmxVersion,
    contacts: 7,
    database: 'memory',
    env: { CONTACTS_PAGE_SIZE: '3', NOTIFICATIONS_TOKEN: token }
  })
  if (app === undefined) return
  const { origin, servers } = app
  const { context, page } = await app.browser()
  const watch = await PageWatch.attach(context, page, origin)

  async function step (name: string, run: () => Promise<void>): Promise<void> {
    await t.test(name, async (st) => {
      try {
        await run()
      } catch (error) {
        await saveFailureArtifacts(st, `accessibility ${name} (htmx ${htmxVersion})`, page, servers, watch)
        throw error
      }
    })
  }
  /** The one call per page state: no serious or critical violation, counts in the diagnostics. */
  async function checkAxe (state: string): Promise<void> {
    await assertAccessible(page, state, (line) => t.diagnostic(`htmx ${htmxVersion}, ${line}`))
  }
  async function post (body: object): Promise<void> {
    const response = await fetch(`${origin}/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000)
    })
    assert.equal(response.status, 202, await response.text())
  }

  await page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })

  await step('1a. axe: the page as loaded', async () => {
    await checkAxe('initially')
  })

  await step('1b. axe: after "Load more" (reached and pressed with the keyboard)', async () => {
    const button = page.getByRole('button', { name: 'Load more...' })
    await button.focus()
    await page.keyboard.press('Enter')
    await waitInPage(page, 'probe.rows().length > 3 && !probe.busy()', WAIT_MS, 'rows added by "Load more..."')
    // The pressed button is gone with its row: focus is on the first row it loaded instead.
    await waitInPage(page, 'document.activeElement === document.querySelectorAll("#contacts-body > tr")[3]', WAIT_MS, 'focus on the first loaded row')
    await checkAxe('after "Load more"')
  })

  await step('1c/2. axe: one notification of each seed colour; colour is an accent, text stays ink', async () => {
    const session = await page.textContent('[data-session-id]')
    assert.ok(session !== null && session !== '', 'the page shows its session id')
    // Each feed keeps five: the public feed gets the colours in order, the private one in
    // reverse, so the two feeds together show all six.
    const sent = []
    for (const color of SEED_COLORS) {
      const message = notification(`Public ${color} ${htmxVersion}`, `A ${color} notification`, color)
      await post(message)
      sent.push(message)
    }
    for (const color of [...SEED_COLORS].reverse()) {
      const message = notification(`Private ${color} ${htmxVersion}`, `A private ${color} notification`, color)
      await post({ ...message, target: session })
      sent.push(message)
    }
    for (const message of sent) await waitForNotification(page, message.title, WAIT_MS)
    const shown = await page.evaluate(`[...document.querySelectorAll('.notification')].map((el) => ({
      color: el.getAttribute('data-color'),
      role: el.getAttribute('role'),
      text: getComputedStyle(el).color,
      accent: getComputedStyle(el).borderLeftColor
    }))`) as Array<{ color: string, role: string | null, text: string, accent: string }>
    assert.deepEqual([...new Set(shown.map((s) => s.color))].sort(), [...SEED_COLORS].sort(), 'all six colours are shown')
    const ink = await page.evaluate('getComputedStyle(document.body).color') as string
    for (const s of shown) {
      assert.equal(s.role, null, `a notification is no alert (${s.color})`)
      assert.equal(s.text, ink, `a ${s.color} notification's text is the ink colour`)
    }
    // Meaning kept: six colours, six different accents.
    assert.equal(new Set(shown.map((s) => `${s.color}=${s.accent}`)).size, 6, `each colour its own accent: ${JSON.stringify(shown)}`)
    assert.equal(new Set(shown.map((s) => s.accent)).size, 6, `six distinct accents: ${JSON.stringify(shown)}`)
    const feeds = await page.evaluate(`[...document.querySelectorAll('[data-live-feed]')].map((f) => ({
      role: f.getAttribute('role'), live: f.getAttribute('aria-live'), alerts: f.querySelectorAll('[role=alert]').length
    }))`)
    assert.deepEqual(feeds, [{ role: 'log', live: 'polite', alerts: 0 }, { role: 'log', live: 'polite', alerts: 0 }])
    await checkAxe('with one notification of each seed colour')

    // Any other colour is an accent too, darkened until it can be seen (yellow on white is 1.07:1).
    const yellow = notification(`Yellow ${htmxVersion}`, 'A yellow notification', 'yellow')
    await post(yellow)
    await waitForNotification(page, yellow.title, WAIT_MS)
    const accent = await page.evaluate(`(() => {
      const el = [...document.querySelectorAll('.notification[data-color="yellow"]')][0]
      return { text: getComputedStyle(el).color, accent: getComputedStyle(el).borderLeftColor }
    })()`) as { text: string, accent: string }
    assert.equal(accent.text, ink, 'a yellow notification\'s text is the ink colour')
    assert.ok(contrastOnWhite(accent.accent) >= 4.5, `yellow's accent ${accent.accent} has ${contrastOnWhite(accent.accent).toFixed(2)}:1 on white`)
    await checkAxe('with a notification of any other colour (yellow)')
  })

  await step('1d. axe: the form showing its errors, each tied to its field', async () => {
    await page.getByRole('button', { name: 'Add contact' }).click()
    await page.locator('.contact-form .field-error').first().waitFor({ timeout: WAIT_MS })
    const fields = await page.evaluate(`[...document.querySelectorAll('.contact-form [aria-invalid="true"]')].map((el) => ({
      name: el.name,
      error: (document.getElementById(el.getAttribute('aria-describedby') || '') || {}).textContent || ''
    }))`) as Array<{ name: string, error: string }>
    assert.deepEqual(fields.map((f) => f.name), ['firstName', 'lastName', 'email'], 'each empty required field is marked invalid')
    // htmx settles the swap a moment after it: wait for the focus to move.
    await waitInPage(page, 'document.activeElement && document.activeElement.name === "firstName"', WAIT_MS, 'focus on the first field in error')
    for (const f of fields) assert.match(f.error, /required|email/i, `${f.name}'s error is its description`)
    await checkAxe('with the form showing errors')
  })

  await step('3. keyboard only: Tab to the form, type, Enter adds a contact', async () => {
    await page.reload({ waitUntil: 'load', timeout: WAIT_MS })
    const reached = await tabTo(page, 'input[name="firstName"]')
    assert.ok(reached, 'Tab reaches the first name field')
    await page.keyboard.type('Grace')
    await page.keyboard.press('Tab')
    await page.keyboard.type('Hopper')
    await page.keyboard.press('Tab')
    await page.keyboard.type(`grace-${htmxVersion}@example.com`)
    await page.keyboard.press('Enter')
    const row = page.locator('#contacts-added tr[data-contact-id]', { hasText: 'Grace Hopper' })
    await row.waitFor({ timeout: WAIT_MS })
    const status = await page.locator('.contact-form [role="status"]').textContent({ timeout: WAIT_MS })
    assert.match(status ?? '', /Added Grace Hopper/, 'the form says what was added')
    await waitInPage(page, 'document.activeElement && document.activeElement.name === "firstName"', WAIT_MS, 'focus back on the first field, ready for the next contact')

    // Delete by keyboard: the row goes, focus moves to the next row's Delete (not to <body>).
    await page.getByRole('button', { name: 'Delete Grace Hopper' }).focus()
    await page.keyboard.press('Enter')
    await row.waitFor({ state: 'detached', timeout: WAIT_MS })
    await waitInPage(page, 'document.activeElement && document.activeElement.matches(".contact-delete")', WAIT_MS, 'focus on the next row\'s Delete')
  })

  await step('4. every control the keyboard reaches shows a visible focus style', async () => {
    await page.reload({ waitUntil: 'load', timeout: WAIT_MS })
    const seen = new Set<string>()
    for (let press = 0; press < 40; press++) {
      await page.keyboard.press('Tab')
      const focus = await page.evaluate(FOCUS_PROBE) as FocusProbe | null
      if (focus === null) break // past the last control
      if (seen.has(focus.key)) break
      seen.add(focus.key)
      assert.ok(focus.changed, `${focus.key} looks the same focused and not: ${JSON.stringify(focus)}`)
      assert.ok(focus.contrast >= 3, `${focus.key}'s focus ring has ${focus.contrast.toFixed(2)}:1 against white (needs 3:1): ${JSON.stringify(focus)}`)
    }
    t.diagnostic(`focus styles checked on ${seen.size} controls: ${[...seen].join(', ')}`)
    for (const expected of ['input[name=firstName]', 'select[name=status]#', 'button[type=submit]#', 'select[name=status].contact-status', 'button.contact-delete', 'button[type=submit].primary']) {
      assert.ok([...seen].some((key) => key.startsWith(expected)), `Tab reaches ${expected} (reached: ${[...seen].join(', ')})`)
    }
  })

  // Expected: Chromium logs the one 422 (the form with its errors), and a reload aborts the
  // shared worker's script fetch of the page it leaves.
  const expected = (p: string): boolean => /status of 422 .*\/contacts\)$/.test(p) || /live-worker\.js: net::ERR_ABORTED$/.test(p)
  assert.deepEqual(watch.problems().filter((p) => !expected(p)), [], 'no console errors, CSP violations or failed requests')
}

/** Contrast of an rgb()/rgba() colour against white (WCAG relative luminance). */
function contrastOnWhite (color: string): number {
  const [r = 0, g = 0, b = 0] = (color.match(/[\d.]+/g) ?? []).map(Number)
  const channel = (v: number): number => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }
  return 1.05 / (0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b) + 0.05)
}

/** Presses Tab until the focused element matches the selector (bounded). */
async function tabTo (page: Page, selector: string): Promise<boolean> {
  for (let press = 0; press < 20; press++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate(`document.activeElement !== null && document.activeElement.matches(${JSON.stringify(selector)})`) === true) return true
  }
  return false
}

interface FocusProbe {
  key: string
  changed: boolean
  contrast: number
  focused: string
  unfocused: string
}

// In the page: the focused control's outline and box-shadow, against the same control's
// style when not focused (measured on a clone outside the focus), and the contrast of the
// ring's colour against white (the sections' background).
const FOCUS_PROBE = `(() => {
  const el = document.activeElement
  if (el === null || el === document.body) return null
  const key = el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '') + (el.type === 'submit' ? '[type=submit]' : '') +
    (el.className ? '.' + String(el.className).trim().split(/\\s+/)[0] : '') + '#' + [...document.querySelectorAll('*')].indexOf(el)
  const look = (s) => [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ')
  const focused = look(getComputedStyle(el))
  el.blur()
  const unfocused = look(getComputedStyle(el))
  el.focus({ focusVisible: true })
  const s = getComputedStyle(el)
  const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? s.outlineColor : (s.boxShadow.match(/rgba?\\([^)]*\\)/) || ['rgb(255, 255, 255)'])[0]
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) }
  const [r, g, b] = ring.match(/[\\d.]+/g).map(Number)
  const lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
  return { key, changed: focused !== unfocused, contrast: 1.05 / (lum + 0.05), focused, unfocused }
})()`

for (const htmxVersion of ['2', '4'] as const) {
  test(`live notifications are announced politely, a reconnect's replay is shown but not announced (htmx ${htmxVersion})`, { timeout: 120_000 }, async (t) => {
    await replayIsNotAnnounced(t, htmxVersion)
  })
}

// Two instances on Redis (history survives the restart): the page is connected to A; A stops,
// a notification goes out through B, A comes back on the same port and the page replays it.
async function replayIsNotAnnounced (t: TestContext, htmxVersion: '2' | '4'): Promise<void> {
  const token = randomBytes(16).toString('hex')
  const app = await startBrowserApp(t, {
    htmxVersion,
    contacts: 3,
    database: 'memory',
    redis: 'flc_a11y',
    instances: ['server A', 'server B'],
    env: { NOTIFICATIONS_TOKEN: token, SSE_RETRY_MS: '500' }
  })
  if (app === undefined) return
  const { origin, servers } = app
  const [serverA, serverB] = servers as [ServerProcess, ServerProcess]
  const port = Number(new URL(origin).port)
  const { context, page } = await app.browser()
  const watch = await PageWatch.attach(context, page, origin)
  try {
    await page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
    const before = notification(`Before ${htmxVersion}`, 'published live', 'blue')
    await postNotification(origin, token, before)
    assert.equal((await waitForNotification(page, before.title, WAIT_MS)).announced, true, 'a live notification is announced')

    const opens = (await streamCounts(page)).opens
    watch.beginOutage('the restart of server A')
    await serverA.stop()
    // The page notices the stream is down before anything is replayed.
    await waitInPage(page, 'document.querySelector("[data-live-feed]").getAttribute("aria-busy") === "true"', WAIT_MS, 'the feed marked busy while its stream is down')
    const missed = notification(`Missed ${htmxVersion}`, 'published while the page was cut off', 'red')
    await postNotification(serverB.url, token, missed)
    await app.start('server A (restarted)', port)
    await waitInPage(page, `probe.stream().opens > ${opens}`, WAIT_MS, 'the page reconnected')
    watch.endOutage()
    const replayed = await waitForNotification(page, missed.title, WAIT_MS)
    assert.equal(replayed.announced, false, 'the replayed notification is shown without being announced')
    await waitInPage(page, '[...document.querySelectorAll("[data-live-feed]")].every((f) => f.getAttribute("aria-live") === "polite" && !f.hasAttribute("aria-busy"))', WAIT_MS, 'the feeds speak again once caught up')

    const after = notification(`After ${htmxVersion}`, 'published live again', 'green')
    await postNotification(origin, token, after)
    assert.equal((await waitForNotification(page, after.title, WAIT_MS)).announced, true, 'live notifications are announced again')
    const arrived = await arrivedNotifications(page)
    for (const title of [before.title, missed.title, after.title]) {
      assert.equal(arrived.filter((a) => a.title === title).length, 1, `"${title}" was inserted (and so could be spoken) once`)
    }
    assert.deepEqual(watch.problems().filter((p) => !/live-worker\.js: net::ERR_ABORTED$/.test(p)), [], 'no console errors, CSP violations or failed requests')
  } catch (error) {
    await saveFailureArtifacts(t, `accessibility replay (htmx ${htmxVersion})`, page, servers, watch)
    throw error
  }
}
