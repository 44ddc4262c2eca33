// Page streams share one prebuilt frame per message among pages whose cursor was the same
// before it; each page's id line still carries its own exact positions.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PageConnection, emptyPageStats } from '../../src/live/pages/page-connection.js'
import { PageFrames } from '../../src/live/pages/page-frames.js'
import { encodeEvent } from '../../src/live/stream/sse-frame.js'
import type { ChannelFanout } from '../../src/live/channels/live-channel.js'
import type { SseConnection } from '../../src/live/stream/sse-connection.js'

function fakePage (channels: string[]) {
  const writes: Buffer[] = []
  const connection = { closed: false, write: (frame: Buffer) => { writes.push(frame); return true } } as unknown as SseConnection
  const hubs = channels.map((channel) => ({ channel }) as unknown as ChannelFanout)
  const logger = { warn () {}, error () {}, info () {} } as never
  return { page: new PageConnection(connection, { logger, maxQueueBytes: 1 << 20, stats: emptyPageStats() }, hubs), writes }
}

test('pages with the same cursor share one frame Buffer; a page at other positions gets its own, each with its exact cursor', () => {
  const one = fakePage(['news', 'private:a'])
  const two = fakePage(['news', 'private:b'])
  const behind = fakePage(['news', 'private:c'])
  for (const { page } of [one, two]) page.setPosition(0, '1-0')
  behind.page.setPosition(0, '1-0')
  behind.page.setPosition(1, '3-2')
  const frame = encodeEvent({ id: '5-0', event: 'news', data: '<b>hi</b>\n<i>there</i>' })
  const memo = new PageFrames()
  for (const { page } of [one, two, behind]) assert.equal(page.writeShared(0, '5-0', frame, memo), true)
  assert.equal(one.writes[0], two.writes[0], 'the same Buffer, built once')
  assert.equal(one.writes[0]!.toString(), 'event: news\ndata: <b>hi</b>\ndata: <i>there</i>\nid: 5-0_0-0\n\n')
  assert.equal(behind.writes[0]!.toString(), 'event: news\ndata: <b>hi</b>\ndata: <i>there</i>\nid: 5-0_3-2\n\n')
  // The cursor moved with the shared write: the next event (any path) continues from it.
  assert.deepEqual(one.page.positions, ['5-0', null])
  assert.equal(one.page.tail(), 'id: 5-0_0-0\n\n')
  assert.equal(behind.page.tail(), 'id: 5-0_3-2\n\n')
  // The next message: the two pages are still together.
  const next = new PageFrames()
  const frame2 = encodeEvent({ id: '6-0', event: 'news', data: 'x' })
  for (const { page } of [one, two]) page.writeShared(0, '6-0', frame2, next)
  assert.equal(one.writes[1], two.writes[1])
  assert.equal(two.writes[1]!.toString(), 'event: news\ndata: x\nid: 6-0_0-0\n\n')
})
