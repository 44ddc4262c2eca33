// The reader of outside announcements (src/live/announce/announcement-reader.ts) against real Redis, without an
// app: each entry reaches exactly one instance of the group, hostile entries are dropped and
// counted, a dead instance's entries are taken over, close never waits for a blocked read, and
// a Redis restart (stream and group gone) is survived. Plus: bursts stay bounded in broadcasts.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Cluster, Redis } from 'ioredis'
import { Type } from '@sinclair/typebox'
import { ANNOUNCEMENTS_GROUP, addAnnouncement, announcementsKey } from '../../src/live/announce/announcements.js'
import { AnnouncementReader, type AnnouncementReaderOptions } from '../../src/live/announce/announcement-reader.js'
import { Broadcasts } from '../../src/live/announce/broadcasts.js'
import { defineComponent, type Change } from '../../src/components/define.js'
import type { Live } from '../../src/live/channels/live-hub.js'
import { projectRoot } from '../../src/paths.js'
import { withTimeout } from '../../src/util/timeout.js'
import { redisPrefix, requireRedis, uniqueName } from '../helpers/services.js'
import { OwnRedis } from '../helpers/redis-server.js'
import { startRedisCluster } from '../helpers/redis-cluster.js'
import { redisConnections } from './helpers/app.js'
import { waitFor } from '../helpers/wait.js'

interface Harness {
  reader: AnnouncementReader
  seen: Change[]
  warnings: unknown[]
  consumer: string
  connectionName: string
}

async function startReader (t: TestContext, url: string | string[], prefix: string, options: Partial<AnnouncementReaderOptions> = {}): Promise<Harness> {
  const seen: Change[] = []
  const warnings: unknown[] = []
  const consumer = uniqueName('flc_consumer')
  const connectionName = uniqueName('flc_announce')
  const reader = await AnnouncementReader.open({
    ...(Array.isArray(url) ? { clusterNodes: url } : { url }),
    prefix,
    consumer,
    connectionName: `${connectionName}:announce`,
    announce: (tags, change) => { seen.push({ tags, ...change }) },
    logger: { debug () {}, info () {}, warn: (details: unknown) => { warnings.push(details) }, error () {} },
    ...options
  })
  t.after(() => reader.close())
  reader.start()
  return { reader, seen, warnings, consumer, connectionName }
}

async function redisClient (t: TestContext, url: string): Promise<Redis> {
  const redis = new Redis(url)
  t.after(() => redis.disconnect())
  return redis
}

test('an entry by tag is announced once; hostile entries are dropped, counted, acknowledged, logged at a bounded rate', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url, 'flc_announce')
  const { reader, seen, warnings } = await startReader(t, url, prefix)
  const writer = await redisClient(t, url)
  const key = announcementsKey(prefix)
  const hostile: Array<[string, string]> = [
    ['payload', '{"tags":["contacts"]}'], // the wrong field
    ['change', 'not json'],
    ['change', '{"tags":[]}'],
    ['change', '{"tags":["a b"]}'],
    ['change', '{"tags":["contacts"],"kind":"drop"}'],
    ['change', '{"tags":["contacts"],"id":-1}'],
    ['change', `{"tags":["${'x'.repeat(5000)}"]}`]
  ]
  for (let round = 0; round < 3; round++) {
    for (const [field, value] of hostile) await writer.xadd(key, '*', field, value)
  }
  await writer.xadd(key, 'MAXLEN', '~', 10000, '*', 'change', '{"tags":["contacts","contact:42"],"kind":"update","id":42}')
  await waitFor(() => reader.stats().received === 22, { what: 'every entry read' })
  assert.deepEqual(seen, [{ tags: ['contacts', 'contact:42'], kind: 'update', id: 42 }])
  assert.equal(reader.stats().rejected, 21)
  assert.equal(reader.stats().announced, 1)
  assert.equal(warnings.length, 10, 'the first 10 bad entries of the minute are logged, the rest counted')
  // Everything was acknowledged: nothing is left for another instance to take over.
  await waitFor(async () => (await writer.xpending(key, ANNOUNCEMENTS_GROUP) as unknown[])[0] === 0, { what: 'no pending entries' })
  // The writers' helper checks the change as the reader will.
  await assert.rejects(addAnnouncement(writer, prefix, { tags: ['not a tag'] }), /not a valid change/)
})

test('two instances share the group: each entry is announced by exactly one of them', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url, 'flc_announce')
  const instances = [await startReader(t, url, prefix, { batchSize: 10 }), await startReader(t, url, prefix, { batchSize: 10 })]
  const writer = await redisClient(t, url)
  for (let id = 1; id <= 300; id++) await addAnnouncement(writer, prefix, { tags: ['contacts'], kind: 'create', id })
  await waitFor(() => instances.reduce((n, i) => n + i.seen.length, 0) >= 300, { what: '300 announcements' })
  const ids = instances.flatMap((i) => i.seen.map((c) => c.id))
  assert.equal(ids.length, 300)
  assert.equal(new Set(ids).size, 300, 'none announced twice')
  for (const { reader } of instances) assert.equal(reader.stats().rejected, 0)
})

test('entries a dead instance read but never acknowledged are taken over, and its consumer removed', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url, 'flc_announce')
  const writer = await redisClient(t, url)
  const key = announcementsKey(prefix)
  await writer.xgroup('CREATE', key, ANNOUNCEMENTS_GROUP, '0', 'MKSTREAM')
  for (let id = 1; id <= 3; id++) await addAnnouncement(writer, prefix, { tags: ['contacts'], kind: 'delete', id })
  // An instance reads them and dies before acknowledging.
  await writer.xreadgroup('GROUP', ANNOUNCEMENTS_GROUP, 'dead-instance', 'COUNT', 10, 'STREAMS', key, '>')
  const { reader, seen, consumer } = await startReader(t, url, prefix, { claimIdleMs: 100, staleConsumerMs: 0 })
  await waitFor(() => seen.length === 3, { what: 'the dead instance\'s entries taken over' })
  assert.deepEqual(seen.map((c) => c.id), [1, 2, 3])
  assert.equal(reader.stats().claimed, 3)
  await waitFor(async () => {
    const consumers = await writer.xinfo('CONSUMERS', key, ANNOUNCEMENTS_GROUP) as unknown[][]
    const names = consumers.map((fields) => fields[fields.indexOf('name') + 1])
    return !names.includes('dead-instance') && names.includes(consumer)
  }, { what: 'the dead consumer removed, the live one kept' })
})

test('close ends the pause between polls at once', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url, 'flc_announce')
  const probe = await redisClient(t, url)
  const { reader, connectionName } = await startReader(t, url, prefix, { pollMs: 60_000 })
  await waitFor(async () => (await probe.client('LIST') as string).split('\n').some((line) => line.includes(`name=${connectionName}:announce`) && /cmd=(evalsha|eval)\b/.test(line)), { what: 'a first read' })
  // Bounded far below the 60 s pause: close must not wait for it.
  await withTimeout(reader.close(), 5000, 'closing the reader')
  await waitFor(async () => (await redisConnections(probe, connectionName)).length === 0, { what: 'the connection gone' })

  assert.equal(reader.stats().errors, 0)
})

test('the reader survives a Redis restart that lost the stream and the group', async (t) => {
  const redis = await OwnRedis.start(t)
  if (redis === undefined) return
  const { reader, seen } = await startReader(t, redis.url, 'flc:')
  const writer = new Redis(redis.url, { maxRetriesPerRequest: 1 })
  writer.on('error', () => {})
  t.after(() => writer.disconnect())
  await addAnnouncement(writer, 'flc:', { tags: ['contacts'], id: 1 })
  await waitFor(() => seen.length === 1, { what: 'the first announcement' })
  await redis.kill()
  await redis.restart()
  const back = performance.now()
  // The writer retries until Redis answers again (its own reconnect), then the reader must find
  // that the group is gone, create it again and read what was added meanwhile.
  await waitFor(async () => await addAnnouncement(writer, 'flc:', { tags: ['contacts'], id: 2 }).then(() => true, () => false), { what: 'Redis back' })
  await waitFor(() => seen.some((c) => c.id === 2), { what: 'an announcement after the restart', timeoutMs: 30_000 })
  t.diagnostic(`announced ${Math.round(performance.now() - back)} ms after Redis came back (reconnect, group created again, read)`)
  assert.ok(reader.stats().errors >= 1)
  assert.ok(reader.stats().groupsCreated >= 1)
})

test('Redis Cluster: the same command, one key on one shard; each entry announced by one instance', async (t) => {
  const cluster = await startRedisCluster(t)
  if (cluster === undefined) return
  const instances = [await startReader(t, cluster.urls, 'app:'), await startReader(t, cluster.urls, 'app:')]
  const writer = new Cluster(cluster.urls.map((url) => ({ host: '127.0.0.1', port: Number(new URL(url).port) })))
  t.after(() => writer.disconnect())
  for (let id = 1; id <= 50; id++) await addAnnouncement(writer, 'app:', { tags: ['contacts'], kind: 'update', id })
  await waitFor(() => instances.reduce((n, i) => n + i.seen.length, 0) >= 50, { what: '50 announcements' })
  const ids = instances.flatMap((i) => i.seen.map((c) => c.id))
  assert.equal(new Set(ids).size, 50)
  assert.equal(ids.length, 50)
})

test('1,000 rapid announcements publish a bounded number of updates (replace coalesced, items capped)', async () => {
  const published: string[] = []
  const broadcasts = new Broadcasts({
    live: { channel: () => ({}) } as unknown as Live,
    publish: async (channel) => { published.push(channel); return '1-0' },
    renderUpdate: async () => '',
    logger: { warn () {}, error () {}, info () {}, debug () {} }
  })
  const dir = join(projectRoot, 'components', 'contact_count')
  const props = Type.Object({ id: Type.Optional(Type.Integer()) })
  broadcasts.add(defineComponent({ name: 'count', dir, props, live: { tags: ['contacts'] } }))
  broadcasts.add(defineComponent({ name: 'rows', dir, props, live: { tags: ['contacts'], swap: 'prepend', props: (c) => ({ id: c.id }) } }))
  // As fast as a bulk import through the app can: one synchronous burst.
  const started = Date.now()
  for (let id = 1; id <= 1000; id++) broadcasts.announce(['contacts', `contact:${id}`], { kind: 'create', id })
  const windows = Math.floor((Date.now() - started) / 100) + 1 // 1 unless this machine stalled
  await new Promise((resolve) => setTimeout(resolve, 150)) // the end of the 100 ms window
  const count = published.filter((c) => c === 'broadcast.count').length
  const rows = published.filter((c) => c === 'broadcast.rows').length
  const stats = broadcasts.stats()
  broadcasts.close()
  // Leading edge: the first change at once, the other 999 merged into one trailing update.
  assert.equal(count, 2, 'two count updates for the whole burst')
  assert.equal(stats.coalesced, 999)
  assert.equal(rows + stats.shed, 1000)
  assert.ok(rows <= 20 * windows, `items capped at 20 per window (${rows} sent in ${windows} window(s))`)
})

test('an entry handed out 5 times and never acknowledged is given up (acknowledged, counted), unblocking the others', async (t) => {
  const redisUrl = await requireRedis(t)
  if (redisUrl === undefined) return
  const prefix = redisPrefix(t, redisUrl)
  const writer = new Redis(redisUrl)
  t.after(() => writer.disconnect())
  const key = announcementsKey(prefix)
  await writer.xgroup('CREATE', key, ANNOUNCEMENTS_GROUP, '0', 'MKSTREAM')
  const stuck = await writer.xadd(key, '*', 'change', JSON.stringify({ tags: ['contacts'] })) as string
  // As if it had been handed out 5 times (read, then taken over 4 times) and never acknowledged.
  await writer.xreadgroup('GROUP', ANNOUNCEMENTS_GROUP, 'gone', 'COUNT', 1, 'STREAMS', key, '>')
  for (let n = 0; n < 4; n++) await writer.xclaim(key, ANNOUNCEMENTS_GROUP, 'gone', 0, stuck)
  const seen: Change[] = []
  const reader = await AnnouncementReader.open({
    url: redisUrl,
    prefix,
    consumer: 'instance-1',
    connectionName: 'flc-test:announce',
    claimIdleMs: 0,
    announce: (tags, change) => { seen.push({ tags, ...change }) },
    logger: { debug () {}, info () {}, warn () {}, error () {} }
  })
  t.after(() => reader.close())
  reader.start()
  await waitFor(() => reader.stats().rejected === 1, { what: 'the undeliverable entry given up' })
  assert.deepEqual(seen, [])
  // The others go on.
  await addAnnouncement(writer, prefix, { tags: ['contacts'], id: 7 })
  await waitFor(() => seen.length === 1, { what: 'the next announcement' })
  const summary = await writer.xpending(key, ANNOUNCEMENTS_GROUP) as [number, ...unknown[]]
  assert.equal(summary[0], 0, 'nothing pending')
})
