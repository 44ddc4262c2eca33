// The database and contacts plugins on a real Fastify instance and a real PostgreSQL database.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import configPlugin from '../../plugins/app/config.js'
import databasePlugin from '../../plugins/app/database.js'
import contactsPlugin from '../../plugins/app/contacts.js'
import { loadConfig } from '../../src/config.js'
import { ContactsRepository } from '../../src/contacts/repository.js'
import { createTestDatabase } from '../helpers/services.js'

test('database + contacts plugins: migrated client, repository with the configured page size, closed on app close', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const config = loadConfig({}, { DATABASE_URL: url, CONTACTS_PAGE_SIZE: 2 })
  const app = Fastify()
  t.after(() => app.close())
  await app.register(configPlugin, { config }).register(databasePlugin).register(contactsPlugin)
  await app.ready()

  assert.ok(app.contacts instanceof ContactsRepository)
  for (const n of [1, 2, 3]) {
    await app.contacts.create({ firstName: `First${n}`, lastName: 'Last', email: `c${n}@example.com` })
  }
  const page = await app.contacts.page({ page: 1 })
  assert.equal(page.pageSize, 2)
  assert.deepEqual(page.contacts.map((c) => c.email), ['c1@example.com', 'c2@example.com'])
  assert.equal(await app.prisma.contact.count(), 3)

  await app.close()
  await assert.rejects(app.prisma.contact.count(), 'the pool is closed with the app')
})

test('the contacts plugin refuses to load without the database plugin', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  await assert.rejects(async () => {
    await app.register(configPlugin, { config: loadConfig({}) })
    await app.register(contactsPlugin)
  }, /The dependency 'database' of plugin 'contacts' is not registered/)
})
