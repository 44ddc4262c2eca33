// Presence counting in one process: sessions, not tabs; a topic's count changes only on a
// session's first stream and its last; updates are coalesced per topic; nothing is kept for a
// topic nobody has open.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryPresenceStore, Presence, presenceMember, presenceTopicOf } from '../../src/presence/presence.js'
import { waitFor } from '../helpers/wait.js'

const silent = { warn () {} }

function setup (coalesceMs = 20) {
  const store = new MemoryPresenceStore()
  const updates: string[] = []
  const presence = new Presence({ store, ttlMs: 30_000, coalesceMs, logger: silent, onChange: (topic) => { updates.push(topic) } })
  return { store, presence, updates }
}

test('two sessions with three tabs each count two; the count falls when a session closes its last tab', async (t) => {
  const { store, presence } = setup()
  t.after(() => presence.close())
  const tabs = ['a', 'b'].flatMap((session) => [1, 2, 3].map(() => presence.enter(['contacts'], presenceMember(session))))
  await waitFor(async () => await presence.count('contacts') === 2, { what: 'two present' })
  for (const leave of tabs.slice(0, 2)) leave()
  assert.equal(await presence.count('contacts'), 2, 'session a still has a tab open')
  tabs[2]?.()
  await waitFor(async () => await presence.count('contacts') === 1, { what: 'session a gone' })
  for (const leave of tabs.slice(3)) { leave(); leave() } // closing twice is harmless
  await waitFor(async () => await presence.count('contacts') === 0, { what: 'nobody left' })
  assert.equal(store.size, 0, 'nothing kept for a topic nobody has open')
  assert.deepEqual({ ...presence.stats(), updates: 0, windows: 0 }, { streams: 0, held: 0, updates: 0, errors: 0, windows: 0 })
})

test('a viewer being rendered counts once, whether their stream is open yet or not', async (t) => {
  const { presence } = setup()
  t.after(() => presence.close())
  assert.equal(await presence.count('contacts', 'me'), 1, 'first visit: only me')
  assert.equal(await presence.count('contacts', null), 1, 'no session: still me')
  presence.enter(['contacts'], presenceMember('me'))
  await waitFor(async () => await presence.count('contacts') === 1, { what: 'me present' })
  assert.equal(await presence.count('contacts', 'me'), 1, 'my stream is open: not counted twice')
  assert.equal(await presence.count('contacts', 'you'), 2)
})

test('updates are coalesced per topic: a burst sends the leading one and one trailing', async (t) => {
  const { presence, updates } = setup(200)
  t.after(() => presence.close())
  for (let i = 0; i < 20; i++) presence.enter(['contacts'], presenceMember(`s${i}`))
  presence.enter(['other'], presenceMember('x'))
  await waitFor(() => updates.filter((topic) => topic === 'contacts').length === 2, { what: 'the trailing update' })
  assert.deepEqual(updates.filter((topic) => topic === 'other'), ['other'], 'another topic is not held back')
  assert.ok(presence.stats().updates <= 3)
})

test('topics outside 1-64 letters, digits, _ and - are ignored; channels map to topics', () => {
  const { presence } = setup()
  const leave = presence.enter(['bad topic', 'x'.repeat(65), ''], 'm')
  leave()
  assert.equal(presence.stats().held, 0)
  assert.equal(presenceTopicOf('presence:contacts'), 'contacts')
  assert.equal(presenceTopicOf('presence:a:b'), undefined)
  assert.equal(presenceTopicOf('notifications'), undefined)
  assert.notEqual(presenceMember('s1'), 's1', 'session ids are not stored as they are')
})
