// Page streams and own routes share one replay path (src/live/stream/channel-reader.ts), so a
// page whose channel history Redis lost gets the same reset reason as an own route: "lost"
// (before, the page stream could only say too-old or unknown). The other channel replays.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { SseTestClient } from '../helpers/sse-client.js'
import { liveEnv } from './helpers/app.js'
import { startPageApp } from './helpers/page-app.js'
import { channelKeys } from '../../src/live/broker/redis-store.js'

test('Redis lost a channel\'s history: the page gets a "lost" reset naming it, the other channel replays', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { app, alpha, beta, streamUrl } = await startPageApp(t, env)
  const a0 = await alpha.publish('a0')
  const b0 = await beta.publish('b0')
  // What Redis restarted without persistence leaves of alpha: neither its stream nor its meta.
  const redis = new Redis(env.REDIS_URL!)
  try {
    const keys = channelKeys(app.config.CHANNEL_PREFIX, 'alpha')
    await redis.del(keys.history, keys.meta)
  } finally {
    redis.disconnect()
  }
  await alpha.publish('a1')
  await beta.publish('b1')
  const client = await SseTestClient.connect(streamUrl(['alpha', 'beta'], `${a0}_${b0}`))
  t.after(() => client.close())
  await client.waitForEvents(2, 'the alpha reset and the beta replay')
  const reset = client.events.find((e) => e.event === 'reset')
  assert.deepEqual(JSON.parse(reset?.data ?? ''), { reason: 'lost', channel: 'alpha' })
  assert.deepEqual(client.data('beta'), ['b1'])
  assert.deepEqual(app.livePages.streams.stats().resets, { lost: 1 })
  // Then live, on both channels.
  await alpha.publish('a2')
  await client.waitFor((c) => c.data('alpha').includes('a2'), 'the live alpha message')
})
