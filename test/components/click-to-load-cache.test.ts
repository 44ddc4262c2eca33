// Cached contacts pages: reused within the TTL, dropped at once by writes through the
// repository — in this process and, through Redis, in another one.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { createTestDatabase, redisPrefix, requireRedis } from '../helpers/services.js'
import { waitFor } from '../helpers/wait.js'
import { seedContacts } from '../../src/db/seed-contacts.js'

async function rename (databaseUrl: string, id: number, firstName: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  await client.query('UPDATE contacts SET first_name = $1 WHERE id = $2', [firstName, id])
  await client.end()
}

async function setup (t: TestContext, overrides: Parameters<typeof build>[1] = {}): Promise<{ app: FastifyInstance, url: string } | undefined> {
  const url = await createTestDatabase(t)
  if (url === undefined) return undefined
  const app = await build(t, { DATABASE_URL: url, CONTACTS_CACHE_TTL_MS: 60_000, ...overrides })
  await seedContacts(app.prisma, 5)
  return { app, url }
}

test('a page is rendered once per TTL; a write through the repository drops it at once', async (t) => {
  const setUp = await setup(t)
  if (setUp === undefined) return
  const { app, url } = setUp
  const first = (await app.inject('/contacts/1')).body
  await rename(url, 1, 'Bypassed') // outside the app: only the TTL bounds this
  assert.equal((await app.inject('/contacts/1')).body, first, 'served from the cache')
  assert.ok(app.components.cache.hits >= 1)

  await app.contacts.update(2, { firstName: 'Through' })
  const after = (await app.inject('/contacts/1')).body
  assert.match(after, /Through/)
  assert.match(after, /Bypassed/, 'the re-render reads the database again')

  const created = await app.contacts.create({ firstName: 'New', lastName: 'Person', email: 'new.person@example.com' })
  const lastPage = (await app.inject('/contacts/2')).body
  assert.ok(lastPage.includes(`<td>${created.id}</td>`), 'a new contact shows on the last page at once')
})

test('TTL 0 turns the cache off', async (t) => {
  const setUp = await setup(t, { CONTACTS_CACHE_TTL_MS: 0 })
  if (setUp === undefined) return
  const { app, url } = setUp
  await app.inject('/contacts/1')
  await rename(url, 1, 'Immediately')
  assert.match((await app.inject('/contacts/1')).body, /Immediately/)
})

test('a page served from the cache still brings its CSS to a full page', async (t) => {
  const setUp = await setup(t)
  if (setUp === undefined) return
  const { app } = setUp
  for (let i = 0; i < 2; i++) {
    const html = (await app.inject('/')).body
    assert.equal(html.match(/\/components\/click_to_load\/style\.css/g)?.length, 1, `render ${i + 1}`)
    assert.equal(html.match(/<tr\b[^>]*>\s*<td>\d+<\/td>/g)?.length, 3)
  }
  const fragment = await app.inject({ url: '/contacts/1', headers: { 'hx-request': 'true', 'flc-components': '' } })
  assert.match(fragment.headers['hx-trigger'] as string, /click_to_load/)
})

test('a write in one process drops the cached page in another (Redis)', async (t) => {
  const redisUrl = await requireRedis(t)
  const databaseUrl = redisUrl === undefined ? undefined : await createTestDatabase(t)
  if (redisUrl === undefined || databaseUrl === undefined) return
  const shared = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, CHANNEL_PREFIX: redisPrefix(t, redisUrl, 'flc_cache'), CONTACTS_CACHE_TTL_MS: 60_000 }
  const reader = await build(t, shared)
  const writer = await build(t, shared)
  await seedContacts(reader.prisma, 3)
  assert.doesNotMatch((await reader.inject('/contacts/1')).body, /Renamed/)

  await writer.contacts.update(1, { firstName: 'Renamed' })
  let body = ''
  await waitFor(async () => {
    body = (await reader.inject('/contacts/1')).body
    return body.includes('Renamed')
  }, { what: 'the other instance to serve the renamed contact', timeoutMs: 10_000, intervalMs: 20 })
  assert.match(body, /Renamed/)
})
