// A page stream resumes its channels in parallel, and every frame it writes carries the whole
// cursor. While one channel's history is still being read, its place in that cursor must hold
// the position the browser sent: a browser dropping in that moment reconnects with that cursor,
// and a "0-0" there would replay the channel's whole history (rows the page already shows).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { pageStream } from '../helpers/components.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 'broadcast.contact_count'
const ADDED = 'broadcast.new_contacts'

test('a cursor written while another channel is still resuming keeps that channel\'s position', async (t) => {
  const db = await createTestDatabase(t)
  if (db === undefined) return
  const app = await build(t, { DATABASE_URL: db, DEMO_CONTACTS: 0, STREAMS_PER_CLIENT: 1000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const stream = await pageStream(app)
  const first = await SseTestClient.connect(stream.url, stream.headers)
  await app.contacts.create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' })
  await first.waitFor((c) => c.data(ADDED).length === 1 && c.data(COUNT).length === 1, 'row and count')
  const cursor = first.lastEventId ?? ''
  first.close()
  const countBefore = await app.live.lastId(COUNT)
  await app.contacts.create({ firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' })
  await waitFor(async () => (await app.live.lastId(COUNT)) !== countBefore, { what: 'the new count to be published' })

  // new_contacts' history read waits until the count's replay reached the page (a slow Redis).
  const broker = app.broker as unknown as { readAfter: (channel: string, id: string) => Promise<unknown> }
  const readAfter = broker.readAfter.bind(app.broker)
  let open = () => {}
  const gate = new Promise<void>((resolve) => { open = resolve })
  broker.readAfter = async (channel, id) => {
    if (channel === ADDED) await gate
    return await readAfter(channel, id)
  }
  t.after(() => { open(); broker.readAfter = readAfter })
  const second = await SseTestClient.connect(stream.url, { ...stream.headers, 'Last-Event-ID': cursor })
  t.after(() => second.close())
  await second.waitFor((c) => c.data(COUNT).length === 1, 'the count replayed')
  const written = (second.lastEventId ?? '').split('_')
  const sent = cursor.split('_')
  assert.equal(written.length, sent.length)
  sent.forEach((position, index) => {
    if (position !== '0-0') assert.notEqual(written[index], '0-0', `position ${index} was ${position} in the cursor sent, and 0-0 in the cursor written back (${written.join('_')})`)
  })
  open()
  await second.waitFor((c) => c.data(ADDED).length === 1, 'the missed row')
  assert.match(second.data(ADDED)[0] ?? '', /Grace/)
})
