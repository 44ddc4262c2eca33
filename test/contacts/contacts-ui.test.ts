// Contacts in the UI, against real PostgreSQL: the form adds (inline errors keep what was
// typed; a taken email is a clear error), a row's status is edited and a contact deleted; every
// write needs the page's CSRF token and its cookie.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { seedContacts } from '../../src/db/seed-contacts.js'

interface Session {
  app: FastifyInstance
  cookie: string
  token: string
}

/** A visitor: opens the page, keeps its CSRF cookie and token. */
async function visit (t: TestContext, contacts = 2): Promise<Session | undefined> {
  const url = await createTestDatabase(t)
  if (url === undefined) return undefined
  const app = await build(t, { DATABASE_URL: url })
  if (contacts > 0) await seedContacts(app.prisma, contacts)
  return await session(app)
}

async function session (app: FastifyInstance): Promise<Session> {
  const page = await app.inject('/')
  const cookie = page.cookies.find((c) => c.name === '_csrf')
  assert.ok(cookie !== undefined, 'the page sets the CSRF cookie')
  assert.equal(cookie.httpOnly, true)
  assert.equal(cookie.sameSite, 'Strict')
  const token = /hx-headers='\{"x-csrf-token": "([^"]+)"\}'/.exec(page.body)?.[1]
  assert.ok(token !== undefined, 'the contacts section sends the token with every htmx request')
  assert.ok(page.body.includes(`name="_csrf" value="${token}"`), 'the form carries it for a post without JavaScript')
  return { app, cookie: cookie.value, token }
}

type Method = 'POST' | 'PATCH' | 'DELETE'

async function send (s: Session, method: Method, url: string, form: Record<string, string> = {}, opts: { token?: string | null, htmx?: boolean } = {}) {
  const token = opts.token === undefined ? s.token : opts.token
  return await s.app.inject({
    method,
    url,
    headers: {
      ...(opts.htmx === false ? {} : { 'hx-request': 'true' }),
      ...(token === null ? {} : { 'x-csrf-token': token }),
      'content-type': 'application/x-www-form-urlencoded'
    },
    cookies: { _csrf: s.cookie },
    payload: new URLSearchParams(form).toString()
  })
}

const ada = { firstName: 'Ada', lastName: 'Lovelace', email: 'Ada@Example.com', status: 'active' }

test('the form adds a contact: a fresh form says so, the row comes out of band, the table shows it', async (t) => {
  const s = await visit(t)
  if (s === undefined) return
  const added = await send(s, 'POST', '/contacts', ada)
  assert.equal(added.statusCode, 201, added.body)
  const stored = await s.app.prisma.contact.findUniqueOrThrow({ where: { email: 'ada@example.com' } })
  assert.match(added.body, new RegExp(`Added Ada Lovelace \\(#${stored.id}\\)`))
  assert.match(added.body, /<form class="contact-form"/)
  assert.ok(!/name="firstName" value="Ada"/.test(added.body), 'the fresh form is empty')
  assert.match(added.body, new RegExp(`<template><tbody hx-swap-oob="afterbegin:#contacts-added"><tr data-contact-id="${stored.id}">`))
  assert.match((await s.app.inject('/contacts/1?after=2')).body, new RegExp(`<td>${stored.id}</td>`), 'the cached table dropped its stale page')
})

test('HTMX_VERSION=4: the token is an inherited header and the new row comes as an <hx-partial>', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const s = await session(await build(t, { DATABASE_URL: url, HTMX_VERSION: '4' }))
  // htmx 4 inherits only attributes marked :inherited; a plain hx-headers would reach no request.
  assert.ok((await s.app.inject('/')).body.includes('hx-headers:inherited=\'{"x-csrf-token": "'))
  const added = await send(s, 'POST', '/contacts', ada)
  assert.equal(added.statusCode, 201, added.body)
  const stored = await s.app.prisma.contact.findUniqueOrThrow({ where: { email: 'ada@example.com' } })
  assert.match(added.body, new RegExp(`<hx-partial hx-target="#contacts-added" hx-swap="afterbegin"><tr data-contact-id="${stored.id}">`))
  assert.ok(!added.body.includes('hx-swap-oob'), 'no htmx 2 out-of-band template for htmx 4 to leave behind')
})

test('bad input: 422 with an inline error per field and everything typed kept; nothing stored', async (t) => {
  const s = await visit(t)
  if (s === undefined) return
  const typed = { firstName: '  ', lastName: 'Hopper <b>', email: 'grace at example', status: 'inactive' }
  const response = await send(s, 'POST', '/contacts', typed)
  assert.equal(response.statusCode, 422)
  assert.match(response.body, /First name is required\./)
  assert.match(response.body, /Enter an email address like name@example\.com\./)
  assert.match(response.body, /name="lastName" value="Hopper &lt;b&gt;"/, 'typed values come back, escaped')
  assert.match(response.body, /name="email" type="email" value="grace at example"/)
  assert.match(response.body, /<option value="inactive" selected>/)
  assert.match(response.body, /name="firstName"[^>]*aria-invalid="true"/)
  assert.doesNotMatch(response.body, /name="lastName"[^>]*aria-invalid/, 'a good field is not marked')
  assert.equal(await s.app.contacts.count(), 2)
})

test('a taken email: 409 with a clear inline error on the email, the rest kept', async (t) => {
  const s = await visit(t)
  if (s === undefined) return
  assert.equal((await send(s, 'POST', '/contacts', ada)).statusCode, 201)
  const again = await send(s, 'POST', '/contacts', { ...ada, firstName: 'Augusta', email: 'ADA@example.com ' })
  assert.equal(again.statusCode, 409)
  assert.match(again.body, /A contact with the email ada@example\.com already exists\./)
  assert.match(again.body, /name="firstName" value="Augusta"/)
  assert.match(again.body, /name="email"[^>]*aria-invalid="true"/)
  assert.equal(await s.app.contacts.count(), 3)
})

test('a row\'s status is edited in place and a contact deleted', async (t) => {
  const s = await visit(t)
  if (s === undefined) return
  const edited = await send(s, 'PATCH', '/contacts/1', { status: 'inactive' })
  assert.equal(edited.statusCode, 200, edited.body)
  assert.match(edited.body, /^<tr data-contact-id="1">/)
  assert.match(edited.body, /<option value="inactive" selected>/)
  assert.equal((await s.app.contacts.get(1)).status, 'inactive')
  const badStatus = await send(s, 'PATCH', '/contacts/1', { status: 'gone' })
  assert.equal(badStatus.statusCode, 400)

  assert.match((await s.app.inject('/contacts/1')).body, /data-contact-id="1"/, 'page 1 rendered (and cached) with contact 1')
  const deleted = await send(s, 'DELETE', '/contacts/1')
  assert.equal(deleted.statusCode, 200)
  assert.equal(deleted.body, '', 'htmx swaps the row for nothing')
  assert.equal(await s.app.contacts.count(), 1)
  assert.doesNotMatch((await s.app.inject('/contacts/1')).body, /data-contact-id="1"/, 'the delete dropped the cached page')
  const gone = await send(s, 'DELETE', '/contacts/1')
  assert.equal(gone.statusCode, 404)
  assert.match(gone.body, /data-code="FLC_CONTACT_NOT_FOUND"/)
  assert.equal((await send(s, 'PATCH', '/contacts/1', { status: 'active' })).statusCode, 404)
})

test('CSRF: a write without the token, with another visitor\'s token or without the cookie is refused; nothing changes', async (t) => {
  const s = await visit(t)
  if (s === undefined) return
  const other = await session(s.app)
  const before = await s.app.contacts.get(1)
  const attempts = [
    await send(s, 'POST', '/contacts', ada, { token: null }),
    await send(s, 'POST', '/contacts', ada, { token: 'forged' }),
    await send({ ...s, cookie: other.cookie }, 'POST', '/contacts', ada),
    await send(s, 'PATCH', '/contacts/1', { status: 'inactive' }, { token: null }),
    await send(s, 'DELETE', '/contacts/1', {}, { token: null }),
    await s.app.inject({ method: 'DELETE', url: '/contacts/2', headers: { 'x-csrf-token': s.token } })
  ]
  for (const response of attempts) assert.equal(response.statusCode, 403, response.body)
  assert.equal(await s.app.contacts.count(), 2)
  assert.deepEqual(await s.app.contacts.get(1), before)
})

test('without JavaScript the form posts its hidden token and a success redirects to the page', async (t) => {
  const s = await visit(t, 0)
  if (s === undefined) return
  const response = await send(s, 'POST', '/contacts', { ...ada, _csrf: s.token }, { token: null, htmx: false })
  assert.equal(response.statusCode, 303)
  assert.equal(response.headers.location, '/')
  assert.equal(await s.app.contacts.count(), 1)
})
