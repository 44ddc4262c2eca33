// The one replay path (ChannelReader) run against both framings it serves: a component's own
// route (ChannelFraming) and a page stream (a one-channel PageConnection). The same cases give
// the same events and the same reset reasons on both; only the id line differs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChannelReader, type DeliveryCounters, type ReadableChannel, type ReplayFrame } from '../../src/live/stream/channel-reader.js'
import { ChannelFraming } from '../../src/live/stream/channel-framing.js'
import type { HistoryRead } from '../../src/live/broker/broker.js'
import { emptyPageStats, PageConnection } from '../../src/live/pages/page-connection.js'
import { PageFrames } from '../../src/live/pages/page-frames.js'
import type { SseConnection } from '../../src/live/stream/sse-connection.js'
import { encodeEvent } from '../../src/live/stream/sse-frame.js'

interface Event { event: string, data: string, id: string }

/** A connection that records what is written, parsed as a browser would. */
function fakeConnection () {
  let text = ''
  const connection = {
    closed: false,
    queuedBytes: 0,
    evicted: false,
    write (frame: Buffer) { text += frame.toString(); return true },
    writeTracked (frame: Buffer) { text += frame.toString(); return Promise.resolve() },
    writeWithTail (shared: Buffer, tail: string) { text += shared.toString() + tail; return true },
    writeWithTailTracked (shared: Buffer, tail: string) { text += shared.toString() + tail; return Promise.resolve() },
    evict () { this.evicted = true; this.closed = true },
    end () { this.closed = true }
  }
  const events = (): Event[] => text.split('\n\n').filter((block) => block !== '').map((block) => {
    const event: Event = { event: 'message', data: '', id: '' }
    const data: string[] = []
    for (const line of block.split('\n')) {
      const colon = line.indexOf(': ')
      const [field, value] = colon < 0 ? [line.replace(/:$/, ''), ''] : [line.slice(0, colon), line.slice(colon + 2)]
      if (field === 'event') event.event = value
      if (field === 'data') data.push(value)
      if (field === 'id') event.id = value
    }
    event.data = data.join('\n')
    return event
  })
  return { connection: connection as unknown as SseConnection & { evicted: boolean }, events }
}

const frame = (id: string, data: string) => encodeEvent({ id, event: 'news', data })
const logger = { warn () {}, error () {}, info () {} } as never

/** A channel "news" whose history read is given; replayFrom can be held open with `gate`. */
function fakeChannel (history: HistoryRead, seam: string | null, gate?: Promise<void>): ReadableChannel {
  return {
    channel: 'news',
    seam,
    async replayFrom () {
      await gate
      const frames: ReplayFrame[] = history.complete ? history.messages.map((m) => ({ id: m.id, frame: frame(m.id, m.payload) })) : []
      return { history, frames }
    }
  }
}

const framings = {
  'own route': (source: ReadableChannel, counters: DeliveryCounters) => {
    const { connection, events } = fakeConnection()
    const reader = new ChannelReader(source, new ChannelFraming(connection, 'reset'), counters, { logger, maxQueueBytes: 1 << 20 })
    return { reader, events, connection }
  },
  'page stream': (source: ReadableChannel, counters: DeliveryCounters) => {
    const { connection, events } = fakeConnection()
    const page = new PageConnection(connection, { logger, maxQueueBytes: 1 << 20, stats: emptyPageStats() }, [source])
    const reader = new ChannelReader(source, page.readers[0]!.framing, counters, { logger, maxQueueBytes: 1 << 20 })
    return { reader, events, connection }
  }
}

for (const [name, open] of Object.entries(framings)) {
  const counters = (): DeliveryCounters => ({ delivered: 0, replayed: 0, resets: {} })
  const reasonOf = (event: Event) => (JSON.parse(event.data) as { reason: string }).reason

  test(`${name}: every reset reason, positioned at the seam, then live`, async () => {
    const cases: Array<[string, string, HistoryRead]> = [
      ['malformed', 'garbage', { messages: [], complete: true }],
      ['too-old', '1-0', { messages: [{ id: '5-0', payload: 'x' }], complete: false, gap: 'trimmed' }],
      ['lost', '1-0', { messages: [], complete: false, gap: 'lost' }],
      ['unknown', '99999999999999-0', { messages: [], complete: false }]
    ]
    for (const [reason, requested, history] of cases) {
      const count = counters()
      const { reader, events } = open(fakeChannel(history, '7-0'), count)
      await reader.resume(requested, '7-0')
      reader.deliver('8-0', frame('8-0', 'live'), undefined)
      const got = events()
      assert.equal(got[0]?.event, 'reset', reason)
      assert.equal(reasonOf(got[0]!), reason)
      assert.equal(got[0]?.id, '7-0', 'moved to the seam')
      assert.deepEqual(got.slice(1).map((e) => [e.event, e.data, e.id]), [['news', 'live', '8-0']])
      assert.deepEqual(count.resets, { [reason]: 1 })
    }
  })

  test(`${name}: live messages during a replay are held, then sent once, in order`, async () => {
    let open_: () => void = () => {}
    const gate = new Promise<void>((resolve) => { open_ = resolve })
    const history: HistoryRead = { messages: [{ id: '2-0', payload: 'a' }, { id: '3-0', payload: 'b' }], complete: true }
    const count = counters()
    const { reader, events } = open(fakeChannel(history, '1-0', gate), count)
    const resuming = reader.resume('1-0', '1-0')
    // Dispatched while history is read: 3-0 is also in the history, 4-0 is new.
    reader.deliver('3-0', frame('3-0', 'b'), undefined)
    reader.deliver('4-0', frame('4-0', 'c'), new PageFrames())
    open_()
    await resuming
    reader.deliver('5-0', frame('5-0', 'd'), undefined)
    assert.deepEqual(events().map((e) => [e.data, e.id]), [['a', '2-0'], ['b', '3-0'], ['c', '4-0'], ['d', '5-0']])
    assert.deepEqual(count, { delivered: 4, replayed: 2, resets: {} })
  })

  test(`${name}: history ahead of dispatch: what the reader already has is not sent again`, async () => {
    const history: HistoryRead = { messages: [{ id: '2-0', payload: 'a' }, { id: '3-0', payload: 'b' }], complete: true }
    const { reader, events } = open(fakeChannel(history, '1-0'), counters())
    await reader.resume('1-0', '1-0')
    // The envelopes of 2-0 and 3-0 arrive after their history entries were replayed.
    reader.deliver('2-0', frame('2-0', 'a'), undefined)
    reader.deliver('3-0', frame('3-0', 'b'), undefined)
    reader.deliver('4-0', frame('4-0', 'c'), undefined)
    assert.deepEqual(events().map((e) => e.data), ['a', 'b', 'c'])
  })

  test(`${name}: held frames over the queue bound evict the connection`, async () => {
    let open_: () => void = () => {}
    const gate = new Promise<void>((resolve) => { open_ = resolve })
    const source = fakeChannel({ messages: [], complete: true }, '1-0', gate)
    const { connection, events } = fakeConnection()
    const small = name === 'own route'
      ? new ChannelReader(source, new ChannelFraming(connection, 'reset'), counters(), { logger, maxQueueBytes: 64 })
      : new ChannelReader(source, new PageConnection(connection, { logger, maxQueueBytes: 64, stats: emptyPageStats() }, [source]).readers[0]!.framing, counters(), { logger, maxQueueBytes: 64 })
    const resuming = small.resume('1-0', '1-0')
    small.deliver('2-0', frame('2-0', 'x'.repeat(100)), undefined)
    assert.equal(connection.evicted, true)
    open_()
    await resuming
    assert.deepEqual(events(), [])
  })
}
