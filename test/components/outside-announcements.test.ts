// Writes made outside the app announce by tag with one Redis command (XADD to
// <prefix>broadcast:announcements): the whole app against real PostgreSQL and Redis, two
// instances sharing both. Each affected component's update is published once in all, whatever
// the number of instances; a burst stays a handful of updates; closing never waits on the reader.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { build, buildListening } from '../helpers/build.js'
import { createTestDatabase, redisPrefix, requireRedis } from '../helpers/services.js'
import { contactRenders, openPageStream } from '../helpers/components.js'
import { announcementsKey } from '../../src/live/announce/announcements.js'
import { withTimeout } from '../../src/util/timeout.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 'broadcast.contact_count'
const CHANGES = 'broadcast.contact_changes'

/** Two instances on one database and one Redis, and a Redis client for the outside writer. */
async function twoInstances (t: TestContext): Promise<{ apps: FastifyInstance[], redis: Redis, prefix: string } | undefined> {
  const url = await createTestDatabase(t)
  const redisUrl = await requireRedis(t)
  if (url === undefined || redisUrl === undefined) return undefined
  const prefix = redisPrefix(t, redisUrl)
  const shared = { DATABASE_URL: url, REDIS_URL: redisUrl, CHANNEL_PREFIX: prefix }
  const apps = [await buildListening(t, shared), await buildListening(t, shared)]
  const redis = new Redis(redisUrl)
  t.after(() => redis.disconnect())
  return { apps, redis, prefix }
}

const sum = (apps: FastifyInstance[], read: (app: FastifyInstance) => number) => apps.reduce((n, app) => n + read(app), 0)

test('an outside write announced by tag reaches every page of both instances; each update is published once in all', async (t) => {
  const setup = await twoInstances(t)
  if (setup === undefined) return
  const { apps, redis, prefix } = setup
  const pages = [await openPageStream(t, apps[0]!), await openPageStream(t, apps[1]!), await openPageStream(t, apps[1]!)]
  // SQL by hand, then the one documented command; the writer knows tags, not components.
  const inserted = await apps[0]!.prisma.$queryRawUnsafe<Array<{ id: number }>>(
    'INSERT INTO contacts (first_name, last_name, email) VALUES (\'Grace\', \'Hopper\', \'grace@example.com\') RETURNING id')
  const id = inserted[0]!.id
  await apps[0]!.prisma.$executeRawUnsafe('UPDATE contacts SET status = \'inactive\' WHERE id = $1', id)
  // Counted from here: the first instance sent contact_count's start-up update (empty channel).
  const published = sum(apps, (app) => app.broadcasts.stats().published)
  const counters = apps.map(contactRenders)
  const renders = counters.map((read) => read())
  const stored = await redis.xlen(`${prefix}live:history:${COUNT}`)
  const sent = performance.now()
  await redis.xadd(announcementsKey(prefix), 'MAXLEN', '~', 10000, '*', 'change', JSON.stringify({ tags: ['contacts', `contact:${id}`], kind: 'update', id }))
  for (const page of pages) await page.waitFor((c) => c.data(COUNT).length === 1 && c.data(CHANGES).length === 1, 'count and changed row')
  t.diagnostic(`XADD → count and row on 3 pages of 2 instances: ${Math.round(performance.now() - sent)} ms (100 ms of it the coalescing window)`)
  for (const page of pages) {
    assert.match(page.data(COUNT)[0] as string, /data-contact-count="1">1 contact</)
    assert.match(page.data(CHANGES)[0] as string, new RegExp(`^<template data-contact-change data-contact-id="${id}"><tr data-contact-id="${id}">[\\s\\S]*<option value="inactive" selected>`))
  }
  // Read by one instance, published once on each component's channel, rendered once per instance.
  assert.equal(sum(apps, (app) => app.announcements!.stats().announced), 1)
  assert.equal(sum(apps, (app) => app.broadcasts.stats().published) - published, 2)
  assert.equal(await redis.xlen(`${prefix}live:history:${COUNT}`) - stored, 1)
  assert.equal(await redis.xlen(`${prefix}live:history:${CHANGES}`), 1)
  counters.forEach((read, i) => assert.equal(read() - renders[i]!, 2))

  // A plain PUBLISH on a component's channel is refused (counted): it would skip coalescing, and
  // a flood of them would make every instance render once per message. Announce by tag instead.
  const rejectedBefore = sum(apps, (app) => app.broker.stats().rejectedInput)
  for (let n = 0; n < 100; n++) await redis.publish(prefix + COUNT, JSON.stringify({ tags: ['contacts'], id: n + 1 }))
  await waitFor(() => sum(apps, (app) => app.broker.stats().rejectedInput) - rejectedBefore === 200, { what: 'both instances to refuse 100 plain publishes' })
  assert.equal(await redis.xlen(`${prefix}live:history:${COUNT}`) - stored, 1)
  counters.forEach((read, i) => assert.equal(read() - renders[i]!, 2))
})

test('1,000 outside announcements in one burst send a handful of count updates, not 1,000; hostile ones are counted', async (t) => {
  const setup = await twoInstances(t)
  if (setup === undefined) return
  const { apps, redis, prefix } = setup
  const page = await openPageStream(t, apps[1]!)
  await apps[0]!.prisma.$executeRawUnsafe('INSERT INTO contacts (first_name, last_name, email) SELECT \'Bulk\', \'Row\', \'bulk\' || n || \'@example.com\' FROM generate_series(1, 1000) AS n')
  // As a bulk import that announces per row would: 1,000 entries at once (one transaction), a few hostile.
  const burst = redis.multi()
  for (let n = 1; n <= 1000; n++) burst.xadd(announcementsKey(prefix), '*', 'change', JSON.stringify({ tags: ['contacts'] }))
  for (let n = 1; n <= 5; n++) burst.xadd(announcementsKey(prefix), '*', 'change', '{"tags":"not a list"}')
  await burst.exec()
  await waitFor(() => sum(apps, (app) => app.announcements!.stats().received) === 1005, { what: 'every entry read' })
  await page.waitFor((c) => c.data(COUNT).some((html) => html.includes('1000 contacts')), 'the final count')
  assert.equal(sum(apps, (app) => app.announcements!.stats().announced), 1000)
  assert.equal(sum(apps, (app) => app.announcements!.stats().rejected), 5)
  // Each read takes at most 100 entries and a read's announcements fold into one update, so
  // 1,005 entries make at most 11 count updates in all; usually 1 or 2.
  const published = await redis.xlen(`${prefix}live:history:${COUNT}`)
  assert.ok(published >= 1 && published <= 11, `${published} count updates`)
  assert.ok(page.data(COUNT).length <= published)
  t.diagnostic(`1,000 announcements read by 2 instances → ${published} count update(s) published`)
})

test('with the in-process broker there is no reader (announce from code); closing an app never waits on a blocked read', async (t) => {
  const setup = await twoInstances(t)
  if (setup === undefined) return
  const app = setup.apps[0]!
  await new Promise((resolve) => setTimeout(resolve, 50)) // the reader is now blocked in XREADGROUP
  await withTimeout(app.close(), 5000, 'closing the app')
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const memory = await build(t, { DATABASE_URL: url })
  assert.equal(memory.announcements, null)
})
