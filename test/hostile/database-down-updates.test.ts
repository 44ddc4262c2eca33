// An update announced while the database refuses connections: contact_changes renders "the row
// as it is now, or nothing when it is gone". A failed lookup must not be taken for "gone" (every
// open table would remove the row, and the frame would be replayed): the render fails, is counted,
// and nothing is sent; once the database is back the next change is sent as usual.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { build } from '../helpers/build.js'
import { createTestDatabase, POSTGRES_URL } from '../helpers/services.js'
import { openPageStream } from '../helpers/components.js'
import { waitFor } from '../helpers/wait.js'

const CHANGES = 'broadcast.contact_changes'

test('an update announced while the database is down is not sent as a deletion', async (t) => {
  const db = await createTestDatabase(t)
  if (db === undefined) return
  const app = await build(t, { DATABASE_URL: db, DEMO_CONTACTS: 0, STREAMS_PER_CLIENT: 1000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const contact = await app.contacts.create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' })
  const page = await openPageStream(t, app)
  const changes = app.broadcasts.add(app.components.get('contact_changes'))
  assert.ok(changes !== undefined)

  const name = new URL(db).pathname.slice(1)
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  t.after(async () => {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => {})
    await admin.end()
  })
  await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`)
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])

  app.broadcasts.announce(['contacts', `contact:${contact.id}`], { kind: 'update', id: contact.id })
  await waitFor(() => Object.values(changes.stats().dropped).reduce((a, b) => a + b, 0) === 1, { what: 'the failed render to be counted', timeoutMs: 60_000 })
  assert.deepEqual(page.data(CHANGES), [], 'nothing is sent while the row cannot be read')

  await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`)
  app.broadcasts.announce(['contacts', `contact:${contact.id}`], { kind: 'update', id: contact.id })
  await page.waitFor((c) => c.data(CHANGES).length === 1, 'the next change, database back', 60_000)
  assert.match(page.data(CHANGES)[0]!, /<tr /)
})
