// Presence in Redis (real Redis, a unique prefix): distinct sessions across instances, a closed
// stream leaves at once unless another instance still holds that session, a dead instance's
// visitors expire after the TTL, and every key has a TTL.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { Presence, presenceMember } from '../../src/presence/presence.js'
import { presenceKeys, RedisPresenceStore } from '../../src/presence/redis-presence.js'
import { redisPrefix, requireRedis } from '../helpers/services.js'
import { sleep, waitFor } from '../helpers/wait.js'

const logger = { warn () {}, info () {}, error () {}, debug () {} }

async function instance (t: TestContext, url: string, prefix: string, ttlMs: number) {
  const store = await RedisPresenceStore.open({ url, prefix, ttlMs, connectionName: 'flc-test-presence', logger })
  const updates: string[] = []
  const presence = new Presence({ store, ttlMs, coalesceMs: 20, logger, onChange: (topic) => { updates.push(topic) } })
  t.after(() => presence.close())
  return { store, presence, updates }
}

test('two sessions × three tabs count two, across two instances too', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url)
  const a = await instance(t, url, prefix, 30_000)
  const b = await instance(t, url, prefix, 30_000)
  const tabs = [a, a, b].flatMap((node) => ['s1', 's2'].map((session) => node.presence.enter(['contacts'], presenceMember(session))))
  await waitFor(async () => await a.presence.count('contacts') === 2, { what: '2 present' })
  assert.equal(await b.presence.count('contacts'), 2)
  // Session s1 closes its tabs on instance a: b still holds s1, so it stays.
  tabs[0]?.()
  tabs[2]?.()
  await sleep(100)
  assert.equal(await b.presence.count('contacts'), 2, 'b still holds s1')
  tabs[4]?.()
  await waitFor(async () => await a.presence.count('contacts') === 1, { what: 's1 gone once its last tab (on b) closed' })
  assert.ok(b.updates.includes('contacts'), 'the instance where it changed sends the update')
  for (const leave of tabs) leave()
  await waitFor(async () => await a.presence.count('contacts') === 0, { what: 'nobody left' })
})

test('a dead instance\'s visitors expire after the TTL; the survivor sends the update; keys expire', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url)
  const ttlMs = 600
  const a = await instance(t, url, prefix, ttlMs)
  const b = await instance(t, url, prefix, ttlMs)
  a.presence.enter(['contacts'], presenceMember('alive'))
  // b "dies": its member was written, but b never renews it (its heartbeat is not started).
  b.presence.enter(['contacts'], presenceMember('dead'))
  a.presence.start()
  await waitFor(async () => await a.presence.count('contacts') === 2, { what: '2 present' })
  const redis = new Redis(url)
  t.after(() => redis.disconnect())
  const { set, holders } = presenceKeys(prefix, 'contacts')
  for (const key of [set, holders]) {
    const ttl = await redis.pttl(key)
    assert.ok(ttl > 0 && ttl <= 2 * ttlMs, `${key} expires (pttl ${ttl})`)
  }
  const updatesBefore = a.updates.length
  await waitFor(async () => await a.presence.count('contacts') === 1, { what: 'the dead instance\'s visitor to expire', timeoutMs: 15_000 })
  await waitFor(() => a.updates.length > updatesBefore, { what: 'the survivor to send an update after pruning' })
  await waitFor(async () => await redis.zcard(set) === 1, { what: 'the expired member pruned' })
  assert.deepEqual(await redis.zrange(holders, 0, -1), [`${presenceMember('alive')}|${a.store.instance}`], 'its holder entry pruned too')
  // The survivor goes away too: without renewals both keys are gone after 2 × TTL.
  await a.presence.close()
  await b.presence.close()
  await waitFor(async () => await redis.exists(set, holders) === 0, { what: 'the keys to expire', timeoutMs: 15_000 })
})

test('a renewal after Redis lost the keys puts the members back (and says so)', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url)
  const a = await instance(t, url, prefix, 30_000)
  a.presence.enter(['contacts'], presenceMember('s1'))
  await waitFor(async () => await a.presence.count('contacts') === 1, { what: '1 present' })
  const redis = new Redis(url)
  t.after(() => redis.disconnect())
  const { set, holders } = presenceKeys(prefix, 'contacts')
  await redis.del(set, holders)
  assert.equal(await a.presence.count('contacts'), 0)
  const before = a.updates.length
  await a.presence.refresh()
  assert.equal(await a.presence.count('contacts'), 1)
  await waitFor(() => a.updates.length > before, { what: 'an update after the renewal' })
})
