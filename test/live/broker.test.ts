// The broker contract, run against both implementations.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { Broker, BrokerMessage } from '../../src/live/broker/broker.js'
import { MemoryBroker } from '../../src/live/broker/memory-broker.js'
import { RedisBroker } from '../../src/live/broker/redis-broker.js'
import { ORIGIN_ID } from '../../src/live/broker/ids.js'
import { HISTORY_IDLE_TTL_MS } from '../../src/live/broker/redis-store.js'
import { liveEnv, type BrokerKind } from './helpers/app.js'
import { waitFor } from '../helpers/wait.js'

const silent = { debug () {}, info () {}, warn () {}, error () {} }

async function makeBroker (t: TestContext, kind: BrokerKind, historySize: number): Promise<Broker | undefined> {
  const env = await liveEnv(t, kind)
  if (env === undefined) return undefined
  const broker = kind === 'memory'
    ? new MemoryBroker({ historySize, logger: silent })
    : await RedisBroker.connect({ url: env.REDIS_URL!, prefix: env.CHANNEL_PREFIX!, historySize, logger: silent })
  t.after(() => broker.close())
  return broker
}

for (const kind of ['memory', 'redis'] as const) {
  describe(`broker contract (${kind})`, () => {
    test('publish stores and delivers in id order; lastId follows', async (t) => {
      const broker = await makeBroker(t, kind, 100)
      if (broker === undefined) return
      assert.equal(await broker.lastId('orders'), null)
      const received: BrokerMessage[] = []
      const unsubscribe = await broker.subscribe('orders', (m) => received.push(m))
      const ids: string[] = []
      for (let i = 0; i < 20; i++) ids.push(await broker.publish('orders', `p${i}`))
      for (let i = 1; i < ids.length; i++) assert.ok(broker.compareIds(ids[i - 1]!, ids[i]!) < 0)
      await waitFor(() => received.length === 20, { what: '20 deliveries' })
      assert.deepEqual(received, ids.map((id, i) => ({ id, payload: `p${i}` })))
      assert.equal(await broker.lastId('orders'), ids.at(-1))
      assert.equal(broker.stats().handlers, 1)
      await unsubscribe()
      assert.deepEqual({ channels: broker.stats().channels, handlers: broker.stats().handlers }, { channels: 0, handlers: 0 })
      await broker.publish('orders', 'after unsubscribe')
      const probe: BrokerMessage[] = []
      const un2 = await broker.subscribe('orders', (m) => probe.push(m))
      const last = await broker.publish('orders', 'probe')
      await waitFor(() => probe.length === 1, { what: 'probe delivery' })
      assert.equal(received.length, 20, 'nothing delivered after unsubscribe')
      assert.equal(probe[0]!.id, last)
      await un2()
    })

    test('readAfter: complete from a retained id, incomplete when trimmed or unknown', async (t) => {
      const broker = await makeBroker(t, kind, 3)
      if (broker === undefined) return
      const first = await broker.publish('h', 'first')
      // Enough for Redis's approximate MAXLEN (whole 100-entry nodes) to trim the first ones.
      const ids = await Promise.all(Array.from({ length: 250 }, (_, i) => broker.publish('h', `m${i}`)))
      const newest = ids.at(-1)!
      const recent = ids.at(-3)!
      const fromRecent = await broker.readAfter('h', recent)
      assert.equal(fromRecent.complete, true)
      assert.deepEqual(fromRecent.messages.map((m) => m.payload), ['m248', 'm249'])
      const fromNewest = await broker.readAfter('h', newest)
      assert.deepEqual(fromNewest, { messages: [], complete: true })
      const fromTrimmed = await broker.readAfter('h', first)
      assert.equal(fromTrimmed.complete, false)
      assert.equal(fromTrimmed.messages.at(-1)?.id, newest)
      assert.equal((await broker.readAfter('h', '99999999999999-0')).complete, false)
      assert.equal((await broker.readAfter('h', ORIGIN_ID)).complete, false, 'origin after trimming')
      assert.deepEqual(await broker.readAfter('empty', '1-0'), { messages: [], complete: false })
    })

    test('readLatest: the newest message only; complete from a trimmed id of this history, not from an unknown one', async (t) => {
      const broker = await makeBroker(t, kind, 3)
      if (broker === undefined) return
      assert.deepEqual(await broker.readLatest('l', ORIGIN_ID), { messages: [], complete: true })
      assert.deepEqual(await broker.readLatest('l', '1-0'), { messages: [], complete: false })
      const first = await broker.publish('l', 'first')
      const ids = await Promise.all(Array.from({ length: 250 }, (_, i) => broker.publish('l', `m${i}`)))
      const newest = { id: ids.at(-1)!, payload: 'm249' }
      assert.equal((await broker.readAfter('l', first)).complete, false, 'the first id was trimmed')
      for (const from of [first, ids.at(-3)!, ORIGIN_ID]) {
        assert.deepEqual(await broker.readLatest('l', from), { messages: [newest], complete: true }, from)
      }
      assert.deepEqual(await broker.readLatest('l', newest.id), { messages: [], complete: true })
      // Older than this history (another process, a lost stream) or newer than it: as readAfter says.
      for (const from of ['1000-0', '99999999999999-0']) {
        const read = await broker.readLatest('l', from)
        assert.equal(read.complete, false, from)
        assert.ok(read.messages.length <= 1)
      }
    })

    test('readAfter(ORIGIN_ID) is the whole history while nothing was trimmed', async (t) => {
      const broker = await makeBroker(t, kind, 100)
      if (broker === undefined) return
      assert.deepEqual(await broker.readAfter('o', ORIGIN_ID), { messages: [], complete: true })
      const a = await broker.publish('o', 'a')
      const b = await broker.publish('o', 'b')
      assert.deepEqual(await broker.readAfter('o', ORIGIN_ID), { messages: [{ id: a, payload: 'a' }, { id: b, payload: 'b' }], complete: true })
    })

    test('payloads over 64 KiB are refused before storing; bad channel names are refused', async (t) => {
      const broker = await makeBroker(t, kind, 10)
      if (broker === undefined) return
      await assert.rejects(broker.publish('big', 'x'.repeat(64 * 1024 + 1)), { name: 'PayloadTooLargeError', statusCode: 413 })
      assert.equal(await broker.lastId('big'), null)
      assert.equal(broker.stats().rejectedTooLarge, 1)
      await broker.publish('big', 'x'.repeat(64 * 1024)) // exactly the limit is fine
      await assert.rejects(broker.publish('bad name', 'x'), /Invalid live channel name/)
      await assert.rejects(broker.publish('live:history:x', 'x'), /Invalid live channel name/)
    })

    test('a throwing subscriber does not stop delivery to the others', async (t) => {
      const broker = await makeBroker(t, kind, 10)
      if (broker === undefined) return
      const got: string[] = []
      await broker.subscribe('c', () => { throw new Error('bad subscriber') })
      await broker.subscribe('c', (m) => got.push(m.payload))
      await broker.publish('c', 'one')
      await broker.publish('c', 'two')
      await waitFor(() => got.length === 2, { what: 'two deliveries' })
      assert.deepEqual(got, ['one', 'two'])
    })
  })
}

test('memory broker: histories of channels nobody subscribes to are dropped once idle; subscribed ones are kept', async () => {
  let now = 1_000_000
  const broker = new MemoryBroker({ historySize: 10, idleHistoryMs: 60_000, now: () => now, logger: silent })
  const unsubscribe = await broker.subscribe('public', () => {})
  const privateFeed = await broker.subscribe('private_notifications:a', () => {})
  await broker.publish('public', 'p')
  await broker.publish('private_notifications:a', 'for a')
  await broker.publish('private_notifications:b', 'for b, never read')
  await privateFeed() // the session's last page closed
  now += 59_000
  await broker.publish('public', 'p2')
  assert.equal(broker.historyCount, 3, 'idle for less than idleHistoryMs: kept (a page may come back)')
  now += 2_000
  await broker.publish('public', 'p3')
  assert.equal(broker.historyCount, 1, 'the two unsubscribed, idle histories are dropped')
  assert.equal(await broker.lastId('private_notifications:a'), null)
  assert.notEqual(await broker.lastId('public'), null)
  await unsubscribe()
})

test('Redis: every write renews an idle expiry on the channel\'s history and meta', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const broker = await RedisBroker.connect({ url: env.REDIS_URL!, prefix: env.CHANNEL_PREFIX!, historySize: 10, logger: silent })
  t.after(() => broker.close())
  await broker.publish('expiring', 'x')
  const { Redis } = await import('ioredis')
  const redis = new Redis(env.REDIS_URL!)
  t.after(() => redis.disconnect())
  for (const key of [`${env.CHANNEL_PREFIX!}live:history:expiring`, `${env.CHANNEL_PREFIX!}live:meta:expiring`]) {
    const ttl = await redis.pttl(key)
    assert.ok(ttl > 6 * 24 * 3600 * 1000 && ttl <= HISTORY_IDLE_TTL_MS, `${key}: ${ttl}`)
  }
})
