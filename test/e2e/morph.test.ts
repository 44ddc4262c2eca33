// Morphing live updates in Chromium, on htmx 2 (idiomorph behind the page's flc-morph extension)
// and htmx 4 (its own innerMorph / outerMorph):
//   1. a row another browser changes is morphed: the focused status select of that row keeps
//      its focus (the same element, not a copy) and shows the new status; the writer's own row
//      (the PATCH answer) is morphed too, keeping its focus;
//   2. a replace update morphs a component's content: text typed into its input stays, with the
//      caret where it was, and an open <details> stays open; an element whose hx-swap is plain innerHTML (live: { morph: false })
//      is swapped whole and loses it (so the check is able to fail).
// Scenario 2 applies the update through the entry points the page stream uses (htmx-ext-sse's
// htmx.swap on htmx 2; the stream element's channel event that live-page.js swaps on htmx 4),
// since no demo component has a text input; scenario 1 goes through the server end to end.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { saveFailureArtifacts } from './helpers/artifacts.js'
import { startBrowserApp } from './helpers/browser-app.js'
import { PageWatch } from './helpers/page-watch.js'
import { waitInPage } from './helpers/probe.js'

const WAIT_MS = 20_000

/** A channel of the demo page (htmx 4: live-page.js listens to the page's channels only). */
const FIXTURE_CHANNEL = 'broadcast.contact_count'

const liveNow = 'document.documentElement.getAttribute(\'data-live-state\') === \'live\''

/** The status select of the contact's row in the table body. */
const selectOf = (id: string) => `document.querySelector('#contacts-body tr[data-contact-id="${id}"] select[name="status"]')`

/** Adds an element to the stream element shaped as a live component, holding an input and a counter. */
function addFixture (name: string, swap: string): string {
  return `(() => {
    const stream = document.querySelector('[data-live-page]')
    const el = document.createElement('div')
    el.id = ${JSON.stringify(name)}
    el.setAttribute('data-live-component', ${JSON.stringify(name)})
    el.setAttribute('data-live-channel', ${JSON.stringify(FIXTURE_CHANNEL)})
    el.setAttribute('hx-swap', ${JSON.stringify(swap)})
    el.setAttribute('hx-ext', 'flc-morph')
    el.innerHTML = '<label>Note <input name="note" class="fixture-note"></label> <details><summary>More</summary>details</details> <span class="fixture-n">render 1</span>'
    stream.appendChild(el)
    window.htmx.process(el)
  })()`
}

/** Applies a re-render of the fixture as a live update lands on this htmx. */
function rerender (name: string, htmxVersion: '2' | '4', n: number): string {
  // Both fixtures take the same markup: on htmx 4 one event re-renders both.
  const html = `<label>Note <input name="note" class="fixture-note"></label> <details><summary>More</summary>details</details> <span class="fixture-n">render ${n}</span>`
  if (htmxVersion === '2') {
    // What htmx-ext-sse does with an sse-swap message: swap with the element's hx-swap, the
    // element as context (its hx-ext, so flc-morph, applies).
    return `(() => {
      const el = document.getElementById(${JSON.stringify(name)})
      window.htmx.swap(el, ${JSON.stringify(html)}, { swapStyle: el.getAttribute('hx-swap') }, { contextElement: el })
    })()`
  }
  // htmx 4's hx-sse turns a frame into a DOM event named after its channel on the stream
  // element; live-page.js swaps it into every component of that channel with its hx-swap. The
  // fixtures take contact_count's channel (one live-page.js listens to; contact_count gets the
  // fixture's markup too, which nothing here reads).
  return `(() => {
    const stream = document.querySelector('[data-live-page]')
    stream.dispatchEvent(new CustomEvent(${JSON.stringify(FIXTURE_CHANNEL)}, { detail: { data: ${JSON.stringify(html)}, id: '' } }))
  })()`
}

async function typeInto (page: Page, selector: string, text: string, caretFromEnd: number): Promise<void> {
  await page.locator(selector).click()
  await page.keyboard.type(text)
  for (let i = 0; i < caretFromEnd; i++) await page.keyboard.press('ArrowLeft')
}

for (const htmxVersion of ['2', '4'] as const) {
  test(`live updates morph the page on htmx ${htmxVersion}: focus, typed text and caret survive`, { timeout: 180_000 }, async (t) => {
    const app = await startBrowserApp(t, { htmxVersion, contacts: 4, database: 'memory', env: { CONTACTS_PAGE_SIZE: '4' } })
    if (app === undefined) return
    const { origin, servers } = app
    const reader = await app.browser()
    const writer = await app.browser()
    const watch = await PageWatch.attach(reader.context, reader.page, origin)
    await PageWatch.attach(writer.context, writer.page, origin)
    const page = reader.page
    try {
      for (const browser of [reader, writer]) {
        await browser.page.goto(`${origin}/`, { waitUntil: 'load', timeout: WAIT_MS })
        await waitInPage(browser.page, `${liveNow} && probe.rows().length >= 1`, WAIT_MS, 'the page shows its rows and its stream is live')
      }

      await t.test('1. the focused status select keeps its focus while another browser changes that row', async () => {
        const id = await page.evaluate('document.querySelector(\'#contacts-body tr[data-contact-id]\').getAttribute(\'data-contact-id\')') as string
        const before = await page.evaluate(`${selectOf(id)}.value`) as string
        const next = before === 'active' ? 'inactive' : 'active'
        await page.locator(`#contacts-body tr[data-contact-id="${id}"] select[name="status"]`).focus()
        // Marks the element itself: a replaced row would bring a new select without the mark.
        await page.evaluate(`${selectOf(id)}.__flcMark = 'kept'`)
        assert.equal(await page.evaluate(`document.activeElement === ${selectOf(id)}`), true, 'the select has the focus')

        // A real write from the other browser: its own select (htmx PATCH /contacts/:id), whose
        // answer (the row) is morphed in there too (hx-swap="outerMorph").
        const writerSelect = writer.page.locator(`#contacts-body tr[data-contact-id="${id}"] select[name="status"]`)
        await writerSelect.focus()
        await writer.page.evaluate(`${selectOf(id)}.__flcMark = 'kept'`)
        await writerSelect.selectOption(next)
        await waitInPage(page, `${selectOf(id)}.value === ${JSON.stringify(next)} && !probe.busy()`, WAIT_MS, 'the reader shows the new status')
        const after = await page.evaluate(`({
          mark: ${selectOf(id)}.__flcMark,
          focused: document.activeElement === ${selectOf(id)},
          active: document.activeElement.tagName,
          classes: ${selectOf(id)}.className
        })`) as { mark: string | undefined, focused: boolean, active: string, classes: string }
        assert.equal(after.mark, 'kept', 'the row was morphed, not replaced: the same select element')
        assert.equal(after.focused, true, `the focus stayed on the row's status select (it is on ${after.active})`)
        assert.match(after.classes, new RegExp(`contact-status--${next}`), 'the row shows the new status in its look too')
        await waitInPage(writer.page, `!probe.busy() && ${selectOf(id)}.className.includes('contact-status--${next}')`, WAIT_MS, 'the writer got its row back')
        assert.deepEqual(await writer.page.evaluate(`[${selectOf(id)}.__flcMark, document.activeElement === ${selectOf(id)}]`), ['kept', true], 'the writer keeps its focus on its own select too')
      })

      await t.test('2. text typed into a re-rendered component stays, caret included; a plain swap loses it', async () => {
        await page.evaluate(addFixture('morph-fixture', 'innerMorph'))
        await page.evaluate(addFixture('plain-fixture', 'innerHTML'))
        // Both <details> opened; typed into the plain one first, then into the morphing one, which keeps the focus.
        await page.locator('#plain-fixture summary').click()
        await page.locator('#morph-fixture summary').click()
        await typeInto(page, '#plain-fixture input', 'gone soon', 0)
        await typeInto(page, '#morph-fixture input', 'hello world', 6) // caret after "hello"
        await page.evaluate(rerender('plain-fixture', htmxVersion, 2))
        await page.evaluate(rerender('morph-fixture', htmxVersion, 2))
        await waitInPage(page, 'document.querySelector(\'#morph-fixture .fixture-n\')?.textContent === \'render 2\' && document.querySelector(\'#plain-fixture .fixture-n\')?.textContent === \'render 2\'', WAIT_MS, 'both fixtures re-rendered')
        const state = await page.evaluate(`(() => {
          const input = document.querySelector('#morph-fixture input')
          return {
            value: input.value, focused: document.activeElement === input, start: input.selectionStart, end: input.selectionEnd,
            open: document.querySelector('#morph-fixture details').open,
            plain: document.querySelector('#plain-fixture input').value, plainOpen: document.querySelector('#plain-fixture details').open
          }
        })()`) as { value: string, focused: boolean, start: number, end: number, open: boolean, plain: string, plainOpen: boolean }
        assert.equal(state.value, 'hello world', 'the typed text survived the morph')
        assert.equal(state.focused, true, 'the input kept the focus')
        assert.deepEqual([state.start, state.end], [5, 5], 'the caret stayed after "hello"')
        assert.equal(state.open, true, 'the open <details> stayed open')
        assert.equal(state.plain, '', 'the plain innerHTML swap (morph: false) rebuilt its input: the text is gone')
        assert.equal(state.plainOpen, false, 'and its <details> closed')
        // Typing goes on where the caret was.
        await page.keyboard.type(',')
        assert.equal(await page.evaluate('document.querySelector(\'#morph-fixture input\').value'), 'hello, world')
      })

      assert.deepEqual(watch.problems(), [], 'no console errors (CSP violations included), no failed requests')
    } catch (error) {
      await saveFailureArtifacts(t, `morph htmx ${htmxVersion}`, page, servers, watch)
      throw error
    }
  })
}
