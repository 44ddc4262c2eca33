// A Last-Event-ID (header or ?lastEventId=) is client input: anything Redis would not accept as
// a stream id gets `event: reset` {"reason":"malformed"} at once, without asking Redis, and the
// stream stays open and live. (Issue 8, finding 3.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SseTestClient } from '../helpers/sse-client.js'
import { liveEnv, startLiveApp } from '../live/helpers/app.js'
import { isValidId } from '../../src/live/broker/ids.js'

export const MALFORMED_IDS = [
  '18446744073709551616-0', // finding 3: 2^64, Redis answers "ERR Invalid stream ID"
  '99999999999999999999-0',
  '1-18446744073709551616',
  '123456789012345678901-0',
  '-1-0', '1--1', '1-0-0', '1', '1-', '-', 'abc', '01-0', '0x10-0', '1e3-0', '1.0-0', '１-0',
  ' 1-0', '1-0 ', '1-0\t', '$', '+', '-0', '*', '0-*', `${'9'.repeat(1000)}-0`
]

test('ids are checked against Redis\'s 64-bit range', () => {
  assert.ok(isValidId('0-0'))
  assert.ok(isValidId('18446744073709551615-18446744073709551615'))
  for (const id of MALFORMED_IDS) assert.equal(isValidId(id), false, id)
  for (const value of [undefined, null, 5, {}, ['1-0']]) assert.equal(isValidId(value), false)
})

test('out-of-range and malformed Last-Event-IDs get a malformed reset without a Redis call, then live', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { url, channel, app } = await startLiveApp(t, env)
  const newest = await channel.publish('<p>already there</p>')
  let historyReads = 0
  const readAfter = app.broker.readAfter.bind(app.broker)
  app.broker.readAfter = async (...args) => { historyReads++; return await readAfter(...args) }

  const clients: SseTestClient[] = []
  for (const id of MALFORMED_IDS) {
    clients.push(await SseTestClient.connect(`${url}?lastEventId=${encodeURIComponent(id)}`))
    // HTTP trims spaces around header values and allows only visible ASCII in them.
    if (/^[!-~]+$/.test(id)) clients.push(await SseTestClient.connect(url, { 'Last-Event-ID': id }))
  }
  t.after(() => { for (const client of clients) client.close() })
  for (const client of clients) {
    assert.equal(client.status, 200)
    await client.waitForEvents(1, 'the reset')
    assert.deepEqual(client.events[0], { event: 'reset', data: '{"reason":"malformed"}', lastEventId: newest })
  }
  assert.equal(historyReads, 0, 'Redis was never asked about a malformed id')
  const live = await channel.publish('<p>live</p>')
  for (const client of clients) {
    await client.waitForEvents(2, 'the live message')
    assert.equal(client.lastEventId, live)
    assert.equal(client.ended, false, 'the stream stays open')
  }
  assert.equal(channel.stats().resets.malformed, clients.length)
})

test('the largest valid id is asked of Redis and answered with a reset, not an error', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const { url, channel } = await startLiveApp(t, env)
  await channel.publish('<p>x</p>')
  const client = await SseTestClient.connect(url, { 'Last-Event-ID': '18446744073709551615-18446744073709551615' })
  t.after(() => client.close())
  await client.waitForEvents(1)
  assert.equal(client.events[0]?.event, 'reset')
  assert.equal(client.ended, false)
})
