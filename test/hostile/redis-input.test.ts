// Everything that arrives from Redis is hostile input: envelopes on the pub/sub channel, raw
// messages, stream entries. None of it may end the process, stall delivery or reach a client
// unchecked; bad items are dropped and counted. (Issue 8, findings 1 and 2.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { SseTestClient } from '../helpers/sse-client.js'
import { CHANNEL, liveEnv, startLiveApp } from '../live/helpers/app.js'
import { waitFor } from '../helpers/wait.js'
import { MAX_PAYLOAD_BYTES } from '../../src/live/broker/broker.js'

/** Envelopes nobody but our publish script may write: every one of these must be dropped. */
export const BAD_ENVELOPES = [
  'abc\n{"title":"x","message":"m","color":"red"}', // finding 1: "Not a message id: abc"
  'no newline at all',
  '\n<p>empty id</p>',
  '-\n<p>x</p>',
  '1-\n<p>x</p>',
  '-1\n<p>x</p>',
  '-1-0\n<p>x</p>',
  '01-0\n<p>x</p>',
  '1-01\n<p>x</p>',
  '1-0-0\n<p>x</p>',
  '1.5-0\n<p>x</p>',
  '1e3-0\n<p>x</p>',
  '0x10-0\n<p>x</p>',
  ' 1-0\n<p>x</p>',
  '1-0 \n<p>x</p>',
  '１-0\n<p>fullwidth digit</p>',
  '99999999999999999999-0\n<p>finding 2: beyond 64 bits</p>',
  '18446744073709551616-0\n<p>2^64</p>',
  '1-18446744073709551616\n<p>2^64 sequence</p>',
  '123456789012345678901-0\n<p>21 digits</p>',
  `${'9'.repeat(5000)}-0\n<p>long</p>`
]

test('malformed envelopes are dropped and counted; the process lives and delivery goes on', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { url, channel, app, prefix } = await startLiveApp(t, env)
  const client = await SseTestClient.connect(url)
  t.after(() => client.close())
  const redis = new Redis(env.REDIS_URL!)
  t.after(() => redis.disconnect())

  await channel.publish('<p>one</p>')
  await client.waitForEvents(1)
  for (const envelope of BAD_ENVELOPES) await redis.publish(`${prefix}live:envelope:${CHANNEL}`, envelope)
  await waitFor(() => app.broker.stats().rejectedInput >= BAD_ENVELOPES.length, { what: 'every bad envelope counted' })
  await channel.publish('<p>two</p>')
  await client.waitForEvents(2)
  assert.deepEqual(client.data(), ['<p>one</p>', '<p>two</p>'])
  assert.equal(app.broker.stats().rejectedInput, BAD_ENVELOPES.length)
})

test('a forged id ahead of the clock is checked against the stream and cannot stall delivery', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { url, channel, app, prefix } = await startLiveApp(t, env)
  const client = await SseTestClient.connect(url)
  t.after(() => client.close())
  const redis = new Redis(env.REDIS_URL!)
  t.after(() => redis.disconnect())

  await channel.publish('<p>before</p>')
  await client.waitForEvents(1)
  // In Redis's range, so well-formed, but no message has it: every later real id would look old.
  for (const id of ['18446744073709551615-0', '18446744073709551615-18446744073709551615', `${Date.now() + 3_600_000}-0`]) {
    await redis.publish(`${prefix}live:envelope:${CHANNEL}`, `${id}\n<p>forged ${id}</p>`)
  }
  await waitFor(() => app.broker.stats().forgedIds === 3, { what: 'forged ids detected' })
  const after = await channel.publish('<p>after</p>')
  await client.waitForEvents(2)
  assert.deepEqual(client.data(), ['<p>before</p>', '<p>after</p>'])
  assert.equal(client.lastEventId, after, 'clients keep a real position, not the forged one')
  assert.equal(await channel.lastId(), after)
})

test('raw messages of any shape are stored and rendered by the channel, or refused by size; nothing crashes', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { url, channel, app, prefix } = await startLiveApp(t, env)
  const client = await SseTestClient.connect(url)
  t.after(() => client.close())
  const redis = new Redis(env.REDIS_URL!)
  t.after(() => redis.disconnect())
  const raw = [
    Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x5b]), // not UTF-8, NUL, ESC
    '',
    'x'.repeat(MAX_PAYLOAD_BYTES + 1),
    '\r\n\r\nevent: injected\ndata: x\n\n',
    'drop this one'
  ]
  for (const message of raw) await redis.publish(prefix + CHANNEL, message)
  await waitFor(() => app.broker.stats().rawIngested + app.broker.stats().rejectedTooLarge >= raw.length - 1, { what: 'raw messages handled' })
  await channel.publish('<p>sentinel</p>')
  await client.waitFor((c) => c.data().includes('<p>sentinel</p>'), 'sentinel')
  assert.equal(app.broker.stats().rejectedTooLarge, 1)
  assert.ok(!client.events.some((e) => e.event === 'injected'), 'CR/LF in a payload cannot frame an event')
})

test('stream entries written by hand are checked: malformed ones are skipped and counted in replays', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { url, channel, app, prefix } = await startLiveApp(t, env)
  const redis = new Redis(env.REDIS_URL!)
  t.after(() => redis.disconnect())
  const key = `${prefix}live:history:${CHANNEL}`
  const first = await channel.publish('<p>first</p>')
  await redis.xadd(key, '*', 'other', 'field')
  await redis.xadd(key, '*', 'PAYLOAD', '<p>wrong field name</p>')
  await redis.xadd(key, '*', 'a', 'b', 'c', 'd')
  await redis.xadd(key, '*', 'payload', '<p>hand-written but well-formed</p>')
  const last = await channel.publish('<p>last</p>')

  const replay = await SseTestClient.connect(url, { 'Last-Event-ID': first })
  t.after(() => replay.close())
  await replay.waitFor((c) => c.lastEventId === last, 'replay up to the last id')
  assert.deepEqual(replay.data(), ['<p>hand-written but well-formed</p>', '<p>last</p>'])
  assert.ok(app.broker.stats().rejectedInput >= 3, 'the malformed entries were counted')
})
