// Channels whose every message replaces the last (live.channel({ replay: 'latest' }), e.g. a
// re-rendered count) replay only their newest message to a page that comes back; item channels
// still replay every message it missed. Both brokers, the page stream and a channel's own route.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { SseTestClient } from '../helpers/sse-client.js'
import { liveEnv, trivialRender } from './helpers/app.js'
import { loadConfig } from '../../src/config.js'
import configPlugin from '../../plugins/app/config.js'
import brokerPlugin from '../../plugins/app/broker.js'
import livePlugin from '../../plugins/app/live.js'
import livePagesPlugin from '../../plugins/app/live-pages.js'
import rateLimitPlugin from '../../plugins/external/rate-limit.js'
import { channelKeys } from '../../src/live/broker/redis-store.js'
import { createTestDatabase, uniqueName } from '../helpers/services.js'
import { build } from '../helpers/build.js'
import { pageStream } from '../helpers/components.js'
import { Broadcasts } from '../../src/live/announce/broadcasts.js'
import type { Live } from '../../src/live/channels/live-hub.js'
import type { LiveChannelOptions } from '../../src/live/channels/live-channel.js'
import { contactCount } from '../../components/contact_count/index.js'
import { newContacts } from '../../components/new_contacts/index.js'

/** "count" replays its newest message only, "items" every message; each also has its own route. */
async function startApp (t: TestContext, env: Record<string, string>) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', STREAMS_PER_CLIENT: '100000', ...env })
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config })
  await app.register(brokerPlugin, { connectionName: uniqueName('flc_latest_conn') })
  await app.register(livePlugin)
  await app.register(rateLimitPlugin)
  await app.register(livePagesPlugin)
  const count = app.live.channel({ channel: 'count', event: 'update', render: trivialRender, replay: 'latest' })
  const items = app.live.channel({ channel: 'items', event: 'update', render: trivialRender })
  app.get('/count', count.handler)
  app.get('/items', items.handler)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const base = `http://127.0.0.1:${address.port}`
  const connect = async (url: string, headers: Record<string, string> = {}) => {
    const client = await SseTestClient.connect(url, headers)
    t.after(() => client.close())
    return client
  }
  return {
    app,
    count,
    items,
    base,
    config,
    /** A page stream of count and items resumed from a cursor. */
    page: (cursor: string) => connect(`${base}/live/?s=${app.livePages.streams.grant(['count', 'items']).token}&lastEventId=${cursor}`),
    /** A channel's own route resumed from a Last-Event-ID. */
    own: (path: '/count' | '/items', lastId: string) => connect(`${base}${path}`, { 'Last-Event-ID': lastId })
  }
}

type App = Awaited<ReturnType<typeof startApp>>

/** Publishes a marker on both channels and waits for it: what came before it was the replay. */
async function untilMarkers (client: SseTestClient, { count, items }: App): Promise<void> {
  const c = await count.publish('count end')
  const i = await items.publish('item end')
  await client.waitFor((x) => x.lastEventId === `${c}_${i}`, 'the markers')
}

const resets = (client: SseTestClient) => client.events.filter((e) => e.event === 'reset').map((e) => JSON.parse(e.data) as { reason: string, channel?: string })

for (const kind of ['memory', 'redis'] as const) {
  describe(`latest-only replay (${kind} broker)`, () => {
    test('a page back after 50 updates gets one frame for the latest channel and every missed item', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const app = await startApp(t, env)
      const { count, items } = app
      const c0 = await count.publish('count 0')
      const i0 = await items.publish('item 0')
      let newest = ''
      let newestItem = ''
      for (let n = 1; n <= 50; n++) {
        newest = await count.publish(`count ${n}`)
        if (n % 10 === 0) newestItem = await items.publish(`item ${n / 10}`)
      }
      const client = await app.page(`${c0}_${i0}`)
      await client.waitForEvents(6, 'the replay')
      assert.equal(client.lastEventId, `${newest}_${newestItem}`, 'the cursor holds the newest id of each channel')
      await untilMarkers(client, app)
      assert.deepEqual(client.data('count'), ['count 50', 'count end'])
      assert.deepEqual(client.data('items'), ['item 1', 'item 2', 'item 3', 'item 4', 'item 5', 'item end'])
      assert.deepEqual(resets(client), [])
      assert.equal(app.app.livePages.streams.stats().replayed, 6)

      // Back again from that cursor, nothing missed: nothing replayed.
      const cursor = client.lastEventId
      client.close()
      const again = await app.page(cursor)
      await untilMarkers(again, app)
      assert.deepEqual(again.data(), ['count end', 'item end'])
    })

    test('a latest channel\'s own route replays the newest message only; an item channel\'s every one', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { count, items, own } = await startApp(t, env)
      const c0 = await count.publish('count 0')
      const i0 = await items.publish('item 0')
      for (let n = 1; n <= 50; n++) { await count.publish(`count ${n}`); await items.publish(`item ${n}`) }
      const latest = await own('/count', c0)
      const all = await own('/items', i0)
      await latest.waitForEvents(1)
      await all.waitForEvents(50)
      const cEnd = await count.publish('count end')
      const iEnd = await items.publish('item end')
      await latest.waitFor((c) => c.lastEventId === cEnd, 'the live message')
      await all.waitFor((c) => c.lastEventId === iEnd, 'the live message')
      assert.deepEqual(latest.data(), ['count 50', 'count end'])
      assert.deepEqual(all.data(), [...Array.from({ length: 50 }, (_, n) => `item ${n + 1}`), 'item end'])
      assert.equal(count.stats().replayed, 1)
      assert.equal(items.stats().replayed, 50)
    })

    test('history trimmed below the cursor: no reset for the latest channel (its newest is there), a reset for items', async (t) => {
      const env = await liveEnv(t, kind, { LIVE_HISTORY_SIZE: '3' })
      if (env === undefined) return
      const app = await startApp(t, env)
      const { count, items } = app
      const c0 = await count.publish('count 0')
      const i0 = await items.publish('item 0')
      // Enough for Redis's approximate MAXLEN (whole 100-entry nodes) to trim the first ones.
      for (let n = 1; n <= 250; n++) { await count.publish(`count ${n}`); await items.publish(`item ${n}`) }
      const trimmed = await app.app.broker.readAfter('count', c0)
      assert.equal(trimmed.complete, false, 'the cursor\'s id is gone from the history')
      if (kind === 'redis') assert.equal(trimmed.gap, 'trimmed')

      const latest = await app.own('/count', c0)
      await latest.waitForEvents(1)
      assert.deepEqual(latest.events[0]?.data, 'count 250')
      // A page rendered while the channel was empty (cursor 0-0) needs only the newest too.
      const fromOrigin = await app.own('/count', '0-0')
      await fromOrigin.waitForEvents(1)
      assert.deepEqual(fromOrigin.events.map((e) => e.data), ['count 250'])
      assert.deepEqual(count.stats().resets, {})

      const page = await app.page(`${c0}_${i0}`)
      await untilMarkers(page, app)
      assert.deepEqual(page.data('count'), ['count 250', 'count end'])
      assert.deepEqual(resets(page), [{ reason: 'too-old', channel: 'items' }])
    })

    test('history lost (another epoch, or a restart of the in-process broker): the latest channel gets its newest, the item channel a reset', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const app = await startApp(t, env)
      const { count, items } = app
      let cursor = '1000-0_1000-0' // memory: ids from before this process (a restart)
      if (kind === 'redis') {
        const c0 = await count.publish('count 0')
        const i0 = await items.publish('item 0')
        cursor = `${c0}_${i0}`
        // What Redis restarted without persistence leaves: neither the stream nor its meta.
        const redis = new Redis(env.REDIS_URL!)
        try {
          for (const channel of ['count', 'items']) {
            const keys = channelKeys(app.config.CHANNEL_PREFIX, channel)
            await redis.del(keys.history, keys.meta)
          }
        } finally {
          redis.disconnect()
        }
      }
      const newestCount = await count.publish('count after')
      await items.publish('item after')
      // A replacing component needs only its newest state: no reset (it would stay stale until
      // its next change); the item channel may have missed items: reset.
      const page = await app.page(cursor)
      await page.waitForEvents(2, 'the newest count and the items reset')
      const reasons = resets(page)
      assert.deepEqual(reasons.map((r) => r.channel), ['items'], JSON.stringify(page.events))
      assert.deepEqual(page.data('count'), ['count after'])
      const [countCursor, itemsCursor] = cursor.split('_') as [string, string]
      const latest = await app.own('/count', countCursor)
      const all = await app.own('/items', itemsCursor)
      await latest.waitForEvents(1)
      await all.waitForEvents(1)
      assert.deepEqual(latest.events.map((e) => [e.event, e.data, e.lastEventId]), [['update', 'count after', newestCount]])
      assert.equal(all.events[0]?.event, 'reset')
      assert.equal(JSON.parse(all.events[0]!.data).reason, kind === 'redis' ? 'lost' : 'too-old')
      // A position ahead of the newest (forged, or another server's) still gets its reset.
      const ahead = await app.own('/count', '99999999999999-0')
      await ahead.waitForEvents(1)
      assert.equal(ahead.events[0]?.event, 'reset')
    })

    test('a newest message that render rejects: the newest one it accepts is replayed', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { count, own } = await startApp(t, env)
      const c0 = await count.publish('count 0')
      await count.publish('count 1')
      await count.publish('count 2')
      await count.publish('drop: not renderable')
      const client = await own('/count', c0)
      await client.waitForEvents(1)
      const end = await count.publish('count end')
      await client.waitFor((c) => c.lastEventId === end, 'the live message')
      assert.deepEqual(client.data(), ['count 2', 'count end'])
    })
  })
}

test('500 missed updates: frames and bytes replayed, every message vs the newest only', async (t) => {
  const env = await liveEnv(t, 'memory')
  if (env === undefined) return
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env })
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config })
  await app.register(brokerPlugin, { connectionName: uniqueName('flc_latest_bench') })
  await app.register(livePlugin)
  const modes = ['all', 'latest'] as const
  const channels = modes.map((replay) => app.live.channel({ channel: `count_${replay}`, event: 'update', render: trivialRender, replay }))
  channels.forEach((channel, index) => app.get(`/${modes[index]}`, channel.handler))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => app.close())
  const { port } = app.server.address() as { port: number }
  const html = (n: number) => `<span class="contact-count" data-contact-count="${n}">${n} contacts</span>`
  const figures: Record<string, { frames: number, bytes: number }> = {}
  for (const [index, channel] of channels.entries()) {
    const start = await channel.publish(html(0))
    for (let n = 1; n <= 500; n++) await channel.publish(html(n))
    const client = await SseTestClient.connect(`http://127.0.0.1:${port}/${modes[index]}`, { 'Last-Event-ID': start })
    t.after(() => client.close())
    const end = await channel.publish('end')
    await client.waitFor((c) => c.lastEventId === end, 'the live message after the replay')
    // From the first frame to the live one: the replay (after the retry: line).
    const replayed = client.raw.slice(client.raw.indexOf('id: '), client.raw.indexOf(`id: ${end}\n`))
    figures[modes[index]!] = { frames: client.events.length - 1, bytes: Buffer.byteLength(replayed) }
    assert.equal(client.data().at(-2), html(500))
  }
  t.diagnostic(`resume after 500 missed updates: replay all ${JSON.stringify(figures.all)}, latest only ${JSON.stringify(figures.latest)}`)
  assert.equal(figures.all?.frames, 500)
  assert.equal(figures.latest?.frames, 1)
})

test('broadcast components are declared latest-only when they replace themselves, replay-all when they add items', () => {
  const declared: LiveChannelOptions[] = []
  const broadcasts = new Broadcasts({
    live: { channel: (options: LiveChannelOptions) => { declared.push(options); return {} } } as unknown as Live,
    publish: async () => '1-0',
    renderUpdate: async () => '',
    logger: { debug () {}, info () {}, warn () {}, error () {} }
  })
  broadcasts.add(contactCount)
  broadcasts.add(newContacts)
  assert.deepEqual(declared.map((o) => [o.channel, o.replay]), [['broadcast.contact_count', 'latest'], ['broadcast.new_contacts', 'all']])
  broadcasts.close()
})

test('the app\'s page: contact_count (replace) is replayed its newest render only, new_contacts (prepend) every missed row', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const app = await build(t, { DATABASE_URL: url, STREAMS_PER_CLIENT: 100_000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const COUNT = 'broadcast.contact_count'
  const ROWS = 'broadcast.new_contacts'
  // The page as rendered (its cursor: each channel's newest id then); its browser comes back later.
  const page = await pageStream(app)
  for (let n = 1; n <= 50; n++) {
    const [row] = await app.prisma.$queryRawUnsafe<Array<{ id: number }>>('INSERT INTO contacts (first_name, last_name, email) VALUES ($1, $2, $3) RETURNING id', 'Ada', `Lovelace ${n}`, `ada${n}@example.com`)
    // What announce(['contacts'], { kind: 'create', id }) sends each component, uncoalesced.
    await app.broker.publish(COUNT, JSON.stringify({ tags: ['contacts'] }))
    await app.broker.publish(ROWS, JSON.stringify({ tags: ['contacts'], kind: 'create', id: row!.id }))
  }
  const client = await SseTestClient.connect(page.url, page.headers)
  t.after(() => client.close())
  await client.waitFor((c) => c.data(ROWS).length === 50 && c.data(COUNT).length === 1, 'the replay')
  await app.broker.publish(COUNT, JSON.stringify({ tags: ['contacts'] }))
  await client.waitFor((c) => c.data(COUNT).length === 2, 'the next live count')
  assert.match(client.data(COUNT)[0] as string, /data-contact-count="50">50 contacts</)
  assert.equal(client.data(ROWS).length, 50)
  assert.ok(!client.events.some((e) => e.event === 'reset'))
  // 51, plus the page's presence update when it was published before the stream attached (replayed then).
  const { replayed } = app.livePages.streams.stats()
  assert.ok(replayed === 51 || replayed === 52, `replayed ${replayed}`)
})
