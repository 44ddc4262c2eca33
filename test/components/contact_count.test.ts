// Live components from data: contact_count (replace) and new_contacts (prepend) against real
// PostgreSQL, over the page stream, with the in-process broker and with Redis (two processes).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { buildListening } from '../helpers/build.js'
import { createTestDatabase, requireRedis, redisPrefix } from '../helpers/services.js'
import { announceAndWait, contactRenders, openPageStream, pageStream } from '../helpers/components.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 'broadcast.contact_count'
const ROWS = 'broadcast.new_contacts'
const CHANGES = 'broadcast.contact_changes'

const ada = (n: number) => ({ firstName: 'Ada', lastName: `Lovelace ${n}`, email: `ada${n}@example.com` })

describe('live components from data', () => {
  test('the page renders the count and the new-rows element, both joined to the page stream', async (t) => {
    const url = await createTestDatabase(t)
    if (url === undefined) return
    const app = await buildListening(t, { DATABASE_URL: url })
    const html = (await app.inject('/')).body
    assert.match(html, /<p data-live-component="contact_count" data-live-channel="broadcast.contact_count" data-live-index="0" hx-swap="innerMorph" hx-ext="flc-morph" sse-swap="broadcast.contact_count"><span class="contact-count" data-contact-count="0">0 contacts<\/span><\/p>/)
    assert.match(html, /<tbody id="contacts-added" data-live-component="new_contacts" data-live-channel="broadcast.new_contacts" data-live-index="1" hx-swap="afterbegin" sse-swap="broadcast.new_contacts"><\/tbody>/)
    assert.match(html, /data-live-events="[^"]*broadcast\.contact_count[^"]*"/)
  })

  test('a write reaches every page; rendered once per process however many pages are open', async (t) => {
    const url = await createTestDatabase(t)
    if (url === undefined) return
    const app = await buildListening(t, { DATABASE_URL: url })
    const pages = await Promise.all([1, 2, 3].map(() => openPageStream(t, app)))
    // The start-up update of contact_count (its channel was empty) came before any page was
    // open: not rendered (no reader), the pages have that state from their own render.
    const countChannel = () => app.live.stats().channels.find((c) => c.channel === COUNT)
    await waitFor(() => countChannel()?.messages === 1, { what: 'the start-up update' })
    assert.equal(countChannel()?.unread, 1)
    const renders = contactRenders(app)
    const rendersBefore = renders()
    const created = await app.contacts.create(ada(1))
    for (const page of pages) {
      await page.waitFor((c) => c.data(COUNT).length === 1 && c.data(ROWS).length === 1, 'count and row')
      assert.match(page.data(COUNT)[0] as string, /data-contact-count="1">1 contact</)
      assert.match(page.data(ROWS)[0] as string, new RegExp(`<tr data-contact-id="${created.id}">`))
    }
    assert.equal(renders() - rendersBefore, 2) // one per affected component, not one per page
    // An edit sends the row as it is now; a delete an empty template (the row goes) and the count.
    await app.contacts.update(created.id, { status: 'inactive' })
    for (const page of pages) await page.waitFor((c) => c.data(CHANGES).length === 1, 'the edited row')
    assert.match(pages[0]!.data(CHANGES)[0] as string, new RegExp(`^<template data-contact-change data-contact-id="${created.id}"><tr data-contact-id="${created.id}">[\\s\\S]*<option value="inactive" selected>`))
    await app.contacts.delete(created.id)
    for (const page of pages) await page.waitFor((c) => c.data(COUNT).some((html) => html.includes('0 contacts')) && c.data(CHANGES).length === 2, 'count and change after delete')
    assert.equal(pages[0]!.data(CHANGES)[1], `<template data-contact-change data-contact-id="${created.id}"></template>`)
    assert.equal(pages[0]!.data(ROWS).length, 1)
  })

  test('a burst of writes is coalesced: the count is sent a few times, not once per write', async (t) => {
    const url = await createTestDatabase(t)
    if (url === undefined) return
    const app = await buildListening(t, { DATABASE_URL: url })
    const page = await openPageStream(t, app)
    await Promise.all(Array.from({ length: 100 }, (_, i) => app.contacts.create(ada(i))))
    await page.waitFor((c) => c.data(COUNT).some((html) => html.includes('100 contacts')), 'the final count')
    const stats = app.broadcasts.stats()
    assert.ok(stats.coalesced > 0, 'some updates were folded')
    assert.ok(page.data(COUNT).length < 100)
    // Rows beyond the per-window cap are shed (they show on reload), the others arrive.
    await page.waitFor((c) => c.data(ROWS).length + app.broadcasts.stats().shed === 100, 'every row not shed')
  })

  test('an announcement from outside the app: one documented call, or one broker message; hostile ones are dropped', async (t) => {
    const url = await createTestDatabase(t)
    if (url === undefined) return
    const app = await buildListening(t, { DATABASE_URL: url })
    const page = await openPageStream(t, app)
    await app.prisma.$executeRawUnsafe('INSERT INTO contacts (first_name, last_name, email) VALUES (\'Grace\', \'Hopper\', \'grace@example.com\')')
    assert.match(await announceAndWait(app, page, 'contact_count', ['contacts']), /1 contact</)
    await app.broker.publish(COUNT, 'not json')
    await app.broker.publish(COUNT, JSON.stringify({ tags: ['contacts'], id: -1 }))
    await app.broker.publish(COUNT, JSON.stringify({ tags: ['contacts'] }))
    await page.waitFor((c) => c.data(COUNT).length === 2, 'the valid message')
    const channel = app.live.stats().channels.find((c) => c.channel === COUNT)
    assert.equal(channel?.dropped['invalid-change'], 2)
  })

  test('two processes sharing Redis: a write in one reaches the pages of the other, rendered once in each', async (t) => {
    const url = await createTestDatabase(t)
    const redisUrl = await requireRedis(t)
    if (url === undefined || redisUrl === undefined) return
    const shared = { DATABASE_URL: url, REDIS_URL: redisUrl, CHANNEL_PREFIX: redisPrefix(t, redisUrl) }
    const one = await buildListening(t, shared)
    const two = await buildListening(t, shared)
    const pages = [await openPageStream(t, one), await openPageStream(t, two), await openPageStream(t, two)]
    // The first process to start sent contact_count's start-up update (its channel was empty);
    // whether the second, starting meanwhile, rendered it depends on timing: count from here.
    await waitFor(() => one.live.stats().channels.find((c) => c.channel === COUNT)?.messages === 1, { what: 'the start-up update' })
    const renders = [one, two].map(contactRenders)
    const before = renders.map((count) => count())
    await one.contacts.create(ada(7))
    for (const page of pages) await page.waitFor((c) => c.data(COUNT).length === 1 && c.data(ROWS).length === 1, 'count and row')
    assert.equal(renders[0]!() - before[0]!, 2)
    assert.equal(renders[1]!() - before[1]!, 2)
    // Replay: a page that was away gets what it missed from its last id (Last-Event-ID).
    const { url: url2, headers: browser } = await pageStream(two)
    const away = await SseTestClient.connect(url2, browser)
    t.after(() => away.close())
    await one.contacts.create(ada(8))
    await away.waitFor((c) => c.data(COUNT).length === 1, 'count on the second page')
    const cursor = away.lastEventId
    away.close()
    await one.contacts.create(ada(9))
    await pages[1]!.waitFor((c) => c.data(COUNT).some((html) => html.includes('3 contacts')), 'third count')
    const back = await SseTestClient.connect(url2, { ...browser, 'Last-Event-ID': cursor })
    t.after(() => back.close())
    await back.waitFor((c) => c.data(COUNT).length === 1 && c.data(ROWS).length === 1, 'replayed count and row')
    assert.match(back.data(COUNT)[0] as string, /3 contacts/)
  })
})
