// Registration of plugins/app/broker.ts and plugins/app/live.ts, and channel declaration rules.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { loadConfig } from '../../src/config.js'
import configPlugin from '../../plugins/app/config.js'
import brokerPlugin from '../../plugins/app/broker.js'
import livePlugin from '../../plugins/app/live.js'
import { drop } from '../../src/live/channels/render-outcome.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { liveEnv, startLiveApp, trivialRender } from './helpers/app.js'

async function buildApp (env: Record<string, string>) {
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config: loadConfig({ NODE_ENV: 'test', ...env }) })
  await app.register(brokerPlugin)
  await app.register(livePlugin)
  return app
}

test('without REDIS_URL the broker is in-process', async (t) => {
  const app = await buildApp({})
  t.after(() => app.close())
  await app.ready()
  assert.equal(app.broker.kind, 'memory')
  const { limits, ...stats } = app.live.stats()
  assert.deepEqual(stats, { clients: 0, heartbeat: false, channels: [] })
  assert.deepEqual({ open: limits.open, refused: limits.refusedPerClient + limits.refusedProcess }, { open: 0, refused: 0 })
})

test('an unreachable REDIS_URL stops start-up with a message naming the fix', async () => {
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config: loadConfig({ NODE_ENV: 'test', REDIS_URL: 'redis://127.0.0.1:1' }) })
  await assert.rejects(async () => { await app.register(brokerPlugin) },
    /Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1\/? \(.*ECONNREFUSED.*\)\. Start Redis, fix REDIS_URL, or unset REDIS_URL/)
})

test('channel declaration: once per channel and event, valid names only', async (t) => {
  const app = await buildApp({})
  t.after(() => app.close())
  await app.ready()
  const options = { channel: 'news', event: 'headline', render: trivialRender }
  const news = app.live.channel(options)
  assert.equal(news.channel, 'news')
  assert.throws(() => app.live.channel(options), /already declared/)
  app.live.channel({ ...options, event: 'other' }) // another event on the same channel is fine
  assert.throws(() => app.live.channel({ ...options, channel: 'bad name' }), /Invalid live channel name/)
  assert.throws(() => app.live.channel({ ...options, channel: 'x', event: 'two words' }), /event "two words"/)
  assert.throws(() => app.live.channel({ ...options, channel: 'y', resetEvent: 'a\nb' }), /resetEvent/)
  assert.equal(await app.live.lastId('news'), null)
  const id = await news.publish('<b>hi</b>')
  assert.equal(await app.live.lastId('news'), id)
  assert.equal(await news.lastId(), id)
})

for (const kind of ['memory', 'redis'] as const) {
  test(`async render keeps messages in id order (${kind} broker)`, async (t) => {
    const env = await liveEnv(t, kind)
    if (env === undefined) return
    let calls = 0
    const slowRender = async (payload: string) => {
      calls++
      // Later messages often finish first: order must come from ids, not from timing.
      await new Promise((resolve) => setTimeout(resolve, (20 - Number(payload.slice(1))) % 4))
      return payload === 'm7' ? drop('seven') : `<i>${payload}</i>`
    }
    const { url, channel } = await startLiveApp(t, env, slowRender)
    const client = await SseTestClient.connect(url)
    t.after(() => client.close())
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => channel.publish(`m${i}`)))
    await client.waitFor((c) => c.lastEventId === ids.at(-1), 'last message')
    const expected = Array.from({ length: 20 }, (_, i) => `<i>m${i}</i>`).filter((x) => x !== '<i>m7</i>')
    assert.deepEqual(client.data(), expected)
    assert.equal(calls, 20, 'rendered once each')
    assert.deepEqual(channel.stats().dropped, { seven: 1 })
  })
}
