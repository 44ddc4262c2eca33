// A restart with the in-process broker (the embedded default: every deploy). Open pages come back
// with positions of the old process. A replacing component (contact_count) is sent its current
// state at once, not a reset after which it would stay stale until its next change.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { pageStream } from '../helpers/components.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 'broadcast.contact_count'
const KEYS = 'restart-test-secret-key-0123456789abcdef'

test('after a restart (in-process broker) a returning page gets the current count, not a reset', async (t) => {
  const db = await createTestDatabase(t)
  if (db === undefined) return
  const config = { DATABASE_URL: db, DEMO_CONTACTS: 0, SECRET_KEYS: KEYS, STREAMS_PER_CLIENT: 1000 }
  const before = await build(t, config)
  await before.listen({ port: 0, host: '127.0.0.1' })
  const stream = await pageStream(before)
  const page = await SseTestClient.connect(stream.url, stream.headers)
  await before.contacts.create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' })
  await page.waitFor((c) => c.data(COUNT).some((html) => html.includes('1 contact<')), 'the first count update')
  const cursor = page.lastEventId
  page.close()
  const port = (before.server.address() as { port: number }).port
  await before.close()

  // Written while no process ran (SQL by hand, a migration): the new process has seen no change.
  const sql = new pg.Client({ connectionString: db })
  await sql.connect()
  await sql.query("INSERT INTO contacts (first_name, last_name, email) VALUES ('Grace', 'Hopper', 'grace@example.com')")
  await sql.end()
  const after = await build(t, config)
  await after.listen({ port, host: '127.0.0.1' })
  await waitFor(async () => (await after.live.lastId(COUNT)) !== null, { what: 'the start-up update of contact_count' })
  const back = await SseTestClient.connect(stream.url, { ...stream.headers, 'Last-Event-ID': cursor ?? '' })
  t.after(() => back.close())
  await back.waitFor((c) => c.data(COUNT).length > 0 || c.events.some((e) => e.event === 'reset' && e.data.includes(COUNT)), 'the count channel to answer')
  assert.ok(!back.events.some((e) => e.event === 'reset' && e.data.includes(COUNT)), JSON.stringify(back.events))
  assert.match(back.data(COUNT)[0] ?? '', /2 contacts/)
})
