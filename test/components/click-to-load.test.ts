// The click-to-load component against real PostgreSQL: its own route and inside the index page.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { seedContacts } from '../../src/db/seed-contacts.js'

type InjectResponse = Awaited<ReturnType<FastifyInstance['inject']>>

const CONTACTS = 10 // pages of 3: 3, 3, 3, 1

async function appWithContacts (t: TestContext, count = CONTACTS): Promise<FastifyInstance | undefined> {
  const url = await createTestDatabase(t)
  if (url === undefined) return undefined
  const app = await build(t, { DATABASE_URL: url })
  if (count > 0) await seedContacts(app.prisma, count)
  return app
}

function rows (html: string): string[] {
  return [...html.matchAll(/<tr\b[^>]*>\s*<td>(\d+)<\/td>/g)].map((m) => m[1] as string)
}

function loadMore (html: string): { hxGet: string, target: string, swap: string } | undefined {
  const row = /<tr id="replaceMe">([\s\S]*?)<\/tr>/.exec(html)?.[1]
  if (row === undefined) return undefined
  // Attribute values are HTML-escaped (Handlebars writes "=" as &#x3D;); a browser decodes them.
  const decode = (value: string) => value.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')
  const attr = (name: string) => decode(new RegExp(`${name}="([^"]*)"`).exec(row)?.[1] as string)
  assert.match(row, /Load more\.\.\./)
  return { hxGet: attr('hx-get'), target: attr('hx-target'), swap: attr('hx-swap') }
}

test('first, middle and last page, following the Load more links', async (t) => {
  const app = await appWithContacts(t)
  if (app === undefined) return
  const seen: string[] = []
  let url: string | undefined = '/contacts/1'
  const pages: string[][] = []
  while (url !== undefined) {
    const response: InjectResponse = await app.inject({ url, headers: { 'hx-request': 'true' } })
    assert.equal(response.statusCode, 200, response.body)
    assert.match(response.headers['content-type'] as string, /^text\/html/)
    pages.push(rows(response.body))
    seen.push(...rows(response.body))
    const more = loadMore(response.body)
    if (more !== undefined) {
      assert.equal(more.target, '#replaceMe')
      assert.equal(more.swap, 'outerHTML')
      assert.match(more.hxGet, new RegExp(`^/contacts/${pages.length + 1}\\?after=\\d+$`))
    }
    url = more?.hxGet
  }
  assert.deepEqual(pages.map((p) => p.length), [3, 3, 3, 1])
  assert.equal(new Set(seen).size, CONTACTS, 'no contact twice')
  assert.deepEqual(seen, [...seen].sort((a, b) => Number(a) - Number(b)), 'ordered by id')
})

test('rows show id, full name, email and status', async (t) => {
  const app = await appWithContacts(t, 1)
  if (app === undefined) return
  const contact = await app.prisma.contact.findFirstOrThrow()
  const body = (await app.inject('/contacts/1')).body
  assert.ok(body.includes(`<td>${contact.id}</td>`))
  assert.ok(body.includes(`<td>${contact.firstName} ${contact.lastName}</td>`))
  assert.ok(body.includes(`<td>${contact.email}</td>`))
  assert.ok(body.includes(`<option value="${contact.status}" selected>`), 'the status is shown as the selected option')
  assert.equal(loadMore(body), undefined, 'a single page has no button')
})

test('a page opened directly (no cursor) equals the page reached by Load more', async (t) => {
  const app = await appWithContacts(t)
  if (app === undefined) return
  const page2 = loadMore((await app.inject('/contacts/1')).body)?.hxGet as string
  assert.deepEqual(rows((await app.inject('/contacts/2')).body), rows((await app.inject(page2)).body))
})

test('bad page values get a clear 4xx: JSON, or an HTML fragment for htmx', async (t) => {
  const app = await appWithContacts(t)
  if (app === undefined) return
  // Codes, not wording: the message is for people and may be improved at any time.
  const cases: Array<[string, number, string, RegExp]> = [
    ['/contacts/0', 400, 'FLC_BAD_PARAMETER', /\bpage\b/],
    ['/contacts/-1', 400, 'FLC_BAD_PARAMETER', /\bpage\b/],
    ['/contacts/abc', 400, 'FLC_BAD_PARAMETER', /\bpage\b/],
    ['/contacts/2.5', 400, 'FLC_BAD_PARAMETER', /\bpage\b/],
    ['/contacts/99999999999', 400, 'FLC_BAD_PARAMETER', /\bpage\b/],
    ['/contacts/2?after=x', 400, 'FLC_BAD_PARAMETER', /\bafter\b/],
    ['/contacts/5', 404, 'FLC_PAGE_NOT_FOUND', /\b5\b/],
    ['/contacts/1000000000', 404, 'FLC_PAGE_NOT_FOUND', /\b1000000000\b/],
    ['/contacts/2?after=999999', 404, 'FLC_PAGE_NOT_FOUND', /./],
    ['/contacts/1?after=999999', 404, 'FLC_PAGE_NOT_FOUND', /./]
  ]
  for (const [url, status, code, names] of cases) {
    const json: InjectResponse = await app.inject(url)
    assert.equal(json.statusCode, status, `${url}: ${json.body}`)
    assert.match(json.headers['content-type'] as string, /application\/json/)
    assert.equal(json.json().statusCode, status)
    assert.equal(json.json().code, code, url)
    assert.match(json.json().message, names, `${url}: the message names what was wrong`)

    const htmx: InjectResponse = await app.inject({ url, headers: { 'hx-request': 'true' } })
    assert.equal(htmx.statusCode, status, url)
    assert.match(htmx.headers['content-type'] as string, /text\/html/)
    assert.match(htmx.body, /^<div class="flc-error" role="alert"/)
    assert.ok(htmx.body.includes(`data-code="${code}"`), htmx.body)
    assert.ok(!htmx.body.includes('<script'), 'messages are escaped')
  }
})

test('an empty table gives page 1 with no rows and no button', async (t) => {
  const app = await appWithContacts(t, 0)
  if (app === undefined) return
  const response = await app.inject('/contacts/1')
  assert.equal(response.statusCode, 200)
  assert.deepEqual(rows(response.body), [])
  assert.match(response.body, /No contacts yet/)
  assert.equal((await app.inject('/contacts/2')).statusCode, 404)
})

test('GET / is a full page with htmx from /static, the contacts table and the notifications region', async (t) => {
  const app = await appWithContacts(t)
  if (app === undefined) return
  const response = await app.inject('/')
  assert.equal(response.statusCode, 200)
  const html = response.body
  assert.match(html, /^<!DOCTYPE html>/)
  assert.match(html, /<script src="\/static\/vendor\/htmx\.min\.js"/)
  assert.match(html, /<script src="\/static\/vendor\/htmx-ext-sse\.min\.js"/)
  assert.ok(!/https?:\/\//.test(html.replace(/xmlns="[^"]*"/g, '')), 'nothing loads from another host')
  const start = html.indexOf('<tbody id="contacts-body">')
  const body = html.slice(start, html.indexOf('</tbody>', start))
  assert.equal(rows(body).length, 3)
  assert.equal(loadMore(body)?.hxGet.startsWith('/contacts/2?after='), true)
  assert.match(html, /id="notifications-region"/)
  assert.equal(html.match(/\/components\/click_to_load\/style\.css/g)?.length, 1)

  for (const src of ['/static/vendor/htmx.min.js', '/static/vendor/htmx-ext-sse.min.js', '/static/vendor/idiomorph.min.js', '/static/live-morph.js', '/static/live-state.js', '/static/flc.js', '/static/app.css']) {
    const asset: InjectResponse = await app.inject(src)
    assert.equal(asset.statusCode, 200, src)
  }
})

test('a browser that opens a bad URL gets an HTML page, not JSON', async (t) => {
  const app = await appWithContacts(t, 0)
  if (app === undefined) return
  for (const [url, status] of [['/contacts/abc', 400], ['/no/such/page', 404]] as const) {
    const response: InjectResponse = await app.inject({ url, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
    assert.equal(response.statusCode, status)
    assert.match(response.headers['content-type'] as string, /^text\/html/)
    assert.match(response.body, /^<!DOCTYPE html>/)
    assert.match(response.body, new RegExp(`<h1>${status} `))
  }
})
