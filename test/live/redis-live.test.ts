// What only the Redis broker must do: two connections whatever the load, raw PUBLISH from any
// client stored and delivered once across processes, recovery after the subscriber drops.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { SseTestClient } from '../helpers/sse-client.js'
import { CHANNEL, EVENT, liveEnv, redisConnections, startLiveApp } from './helpers/app.js'
import { waitFor } from '../helpers/wait.js'

test('200 SSE clients share exactly 2 Redis connections of this process', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { url, channel, connectionName } = await startLiveApp(t, env)
  const probe = new Redis(env.REDIS_URL!)
  t.after(() => probe.disconnect())
  const clients = await Promise.all(Array.from({ length: 200 }, () => SseTestClient.connect(url)))
  t.after(() => { for (const client of clients) client.close() })
  await waitFor(() => channel.stats().clients === 200, { what: '200 clients' })
  const connections = await redisConnections(probe, connectionName)
  assert.deepEqual(connections.map((c) => c.name).sort(), [`${connectionName}:cmd`, `${connectionName}:sub`])

  const id = await channel.publish('<p>hello all</p>')
  await Promise.all(clients.map((client) => client.waitForEvents(1)))
  for (const client of clients) assert.deepEqual(client.events, [{ event: EVENT, data: '<p>hello all</p>', lastEventId: id }])
  assert.equal(channel.stats().messages, 1, 'received from Redis once, not once per client')
  assert.equal(channel.stats().delivered, 200)
})

test('a raw PUBLISH reaches every client of two apps exactly once and is stored once', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const apps = [await startLiveApp(t, env), await startLiveApp(t, env)]
  const clients = []
  for (const { url } of apps) {
    for (let i = 0; i < 2; i++) {
      const client = await SseTestClient.connect(url)
      t.after(() => client.close())
      clients.push(client)
    }
  }
  const publisher = new Redis(env.REDIS_URL!)
  t.after(() => publisher.disconnect())
  // What the seed's script does: a plain PUBLISH of JSON on the (prefixed) channel.
  const raw = Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: i, title: `Notification ${i}`, message: 'hi', color: 'blue' }))
  for (const message of raw) await publisher.publish(env.CHANNEL_PREFIX + CHANNEL, message)
  for (const client of clients) await client.waitForEvents(10)

  const brokers = apps.map(({ app }) => app.broker)
  await waitFor(() => brokers.reduce((n, b) => n + b.stats().rawIngested + b.stats().rawDuplicates, 0) === 20, { what: 'both apps handled every raw message' })
  assert.equal(brokers.reduce((n, b) => n + b.stats().rawIngested, 0), 10)
  assert.equal(await publisher.xlen(`${env.CHANNEL_PREFIX}live:history:${CHANNEL}`), 10)

  // Every ingest has finished: anything duplicated would now be in front of this sentinel.
  await apps[0]!.channel.publish('sentinel')
  for (const client of clients) {
    await client.waitForEvents(11)
    assert.deepEqual(client.data(), [...raw, 'sentinel'])
  }
  // Raw messages got history ids: replayable like any other.
  const replay = await SseTestClient.connect(apps[1]!.url, { 'Last-Event-ID': clients[0]!.events[7]!.lastEventId })
  t.after(() => replay.close())
  await replay.waitForEvents(3)
  assert.deepEqual(replay.data(), [raw[8], raw[9], 'sentinel'])
})

test('a raw message over 64 KiB is skipped and counted; the next one gets through', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { app, url } = await startLiveApp(t, env)
  const client = await SseTestClient.connect(url)
  t.after(() => client.close())
  const publisher = new Redis(env.REDIS_URL!)
  t.after(() => publisher.disconnect())
  await publisher.publish(env.CHANNEL_PREFIX + CHANNEL, 'x'.repeat(64 * 1024 + 1))
  await publisher.publish(env.CHANNEL_PREFIX + CHANNEL, 'small')
  await client.waitForEvents(1)
  assert.deepEqual(client.data(), ['small'])
  assert.equal(app.broker.stats().rejectedTooLarge, 1)
  assert.equal(await publisher.xlen(`${env.CHANNEL_PREFIX}live:history:${CHANNEL}`), 1)
})

test('after the subscriber connection is killed: re-subscribed, nothing lost, nothing repeated', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { app, url, channel, connectionName } = await startLiveApp(t, env)
  const client = await SseTestClient.connect(url)
  t.after(() => client.close())
  const probe = new Redis(env.REDIS_URL!)
  t.after(() => probe.disconnect())
  await channel.publish('before')
  await client.waitForEvents(1)

  const subscriber = (await redisConnections(probe, connectionName)).find((c) => c.name.endsWith(':sub'))
  assert.ok(subscriber)
  await probe.client('KILL', 'ID', subscriber.id)
  // Published while the subscriber is (most likely) still away: recovered from the stream.
  for (let i = 0; i < 3; i++) await channel.publish(`during ${i}`)
  await waitFor(() => app.broker.stats().resubscriptions >= 1, { what: 'resubscription' })
  await channel.publish('after')
  await probe.publish(env.CHANNEL_PREFIX + CHANNEL, 'raw after') // the raw channel is back too
  await client.waitForEvents(6)
  const end = await channel.publish('end')
  await client.waitFor((c) => c.lastEventId === end, 'end')
  assert.deepEqual(client.data(), ['before', 'during 0', 'during 1', 'during 2', 'after', 'raw after', 'end'])
  const connections = await redisConnections(probe, connectionName)
  assert.equal(connections.length, 2)
})

test('a server with no browser connected still stores raw PUBLISHes for later replay', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { app, url } = await startLiveApp(t, env)
  const before = await app.broker.lastId(CHANNEL) ?? '0-0'
  const publisher = new Redis(env.REDIS_URL!)
  t.after(() => publisher.disconnect())
  const raw = ['first while nobody watches', 'second while nobody watches']
  for (const message of raw) await publisher.publish(env.CHANNEL_PREFIX + CHANNEL, message)
  await waitFor(() => app.broker.stats().rawIngested === 2, { what: 'the idle server stored both' })

  const client = await SseTestClient.connect(url, { 'Last-Event-ID': before })
  t.after(() => client.close())
  await client.waitForEvents(2)
  assert.deepEqual(client.data(), raw)
})

test('a raw PUBLISH that arrives while the server shuts down is still stored', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { app } = await startLiveApp(t, env)
  const publisher = new Redis(env.REDIS_URL!)
  t.after(() => publisher.disconnect())
  const history = `${env.CHANNEL_PREFIX}live:history:${CHANNEL}`
  // Publish a burst and close at once: whatever the subscriber received must be stored.
  const published = Array.from({ length: 50 }, (_, i) => publisher.publish(env.CHANNEL_PREFIX + CHANNEL, `burst ${i}`))
  const receivers = await Promise.all(published)
  const closing = app.close()
  await closing
  const delivered = receivers.filter((n) => n > 0).length
  assert.equal(await publisher.xlen(history), delivered, 'every message Redis handed to the server was stored')
})
