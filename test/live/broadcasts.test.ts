// Broadcasts without a server: announcements checked as hostile input, live options checked at
// definition, bursts coalesced (replace) or capped (items), a failed publish never thrown.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import { Broadcasts, parseChange } from '../../src/live/announce/broadcasts.js'
import { defineComponent } from '../../src/components/define.js'
import type { Live } from '../../src/live/channels/live-hub.js'
import type { LiveChannelOptions } from '../../src/live/channels/live-channel.js'
import { projectRoot } from '../../src/paths.js'
import { join } from 'node:path'

const dir = join(projectRoot, 'components', 'contact_count')
const props = Type.Object({ id: Type.Optional(Type.Integer()) })

function harness (options: { coalesceMs?: number, maxItemsPerWindow?: number, fail?: boolean } = {}) {
  const published: Array<{ channel: string, payload: string }> = []
  const channels: LiveChannelOptions[] = []
  const warnings: unknown[] = []
  const broadcasts = new Broadcasts({
    live: { channel: (o: LiveChannelOptions) => { channels.push(o); return {} } } as unknown as Live,
    publish: async (channel, payload) => {
      published.push({ channel, payload })
      if (options.fail === true) throw new Error('broker down')
      return '1-0'
    },
    renderUpdate: async (name, p) => `<b>${name} ${JSON.stringify(p)}</b>\n`,
    logger: { warn: (details: unknown) => { warnings.push(details) }, error () {}, info () {} } as never,
    coalesceMs: options.coalesceMs ?? 60_000,
    maxItemsPerWindow: options.maxItemsPerWindow
  })
  return { broadcasts, published, channels, warnings }
}

test('announcements from outside are checked: anything but {tags, kind?, id?} is refused', () => {
  assert.deepEqual(parseChange('{"tags":["contacts","contact:42"],"kind":"update","id":42}'), { tags: ['contacts', 'contact:42'], kind: 'update', id: 42 })
  for (const bad of ['', 'null', '[]', '"x"', '{}', '{"tags":[]}', '{"tags":"contacts"}', '{"tags":["a b"]}', '{"tags":["x"],"kind":"drop"}',
    '{"tags":["x"],"id":0}', '{"tags":["x"],"id":1.5}', '{"tags":["x"],"id":"1"}', `{"tags":${JSON.stringify(Array(51).fill('x'))}}`, `{"tags":["${'x'.repeat(5000)}"]}`]) {
    assert.equal(parseChange(bad), undefined, bad)
  }
})

test('live options are checked when the component is defined, naming the fix', () => {
  assert.throws(() => defineComponent({ name: 'contact_count', dir, props, live: { tags: [] } }), /live\.tags must be a non-empty list/)
  assert.throws(() => defineComponent({ name: 'contact_count', dir, props, live: { tags: ['a b'] } }), /live\.tags/)
  assert.throws(() => defineComponent({ name: 'contact_count', dir, props, live: { tags: ['x'], swap: 'prepend' } }), /live\.props is required with prepend/)
  assert.throws(() => defineComponent({ name: 'contact_count', dir, props, live: { tags: ['x'], element: 'div onclick' } }), /live\.element/)
  assert.throws(() => defineComponent({ name: 'contact_count', dir, props, live: { tags: ['x'], id: '"x' } }), /live\.id/)
  // Updates render with props(change), default {}: required props need live.props.
  const required = Type.Object({ id: Type.Integer() })
  assert.throws(() => defineComponent({ name: 'contact_count', dir, props: required, live: { tags: ['x'] } }), /live\.props is required: an update is rendered once for every page/)
  assert.equal(defineComponent({ name: 'contact_count', dir, props: required, live: { tags: ['x'], props: (c) => (c.id === undefined ? undefined : { id: c.id }) } }).live?.tags[0], 'x')
})

test('a burst is coalesced into one replace update; items are capped per window; unaffected components get nothing', async () => {
  const { broadcasts, published, channels } = harness({ coalesceMs: 0, maxItemsPerWindow: 5 })
  broadcasts.add(defineComponent({ name: 'contact_count', dir, props, live: { tags: ['contacts'] } }))
  broadcasts.add(defineComponent({ name: 'rows', dir, props, live: { tags: ['contacts'], swap: 'prepend', props: (c) => (c.kind === 'create' ? { id: c.id } : undefined) } }))
  broadcasts.add(defineComponent({ name: 'other', dir, props, live: { tags: ['orders'] } }))
  assert.deepEqual(channels.map((c) => [c.channel, c.event]), [['broadcast.contact_count', 'broadcast.contact_count'], ['broadcast.rows', 'broadcast.rows'], ['broadcast.other', 'broadcast.other']])
  for (let id = 1; id <= 50; id++) broadcasts.announce(['contacts'], { kind: 'create', id })
  broadcasts.announce(['contacts'], { kind: 'delete', id: 3 })
  // Items went out synchronously (capped); the replace update went out on the first change and
  // the rest of the burst leaves as one trailing update at the end of its window.
  await new Promise((resolve) => setTimeout(resolve, 5))
  const byChannel = (name: string) => published.filter((p) => p.channel === name)
  assert.equal(byChannel('broadcast.contact_count').length, 2)
  assert.equal(byChannel('broadcast.other').length, 0)
  const stats = broadcasts.stats()
  assert.equal(stats.coalesced, 50)
  assert.equal(byChannel('broadcast.rows').length + stats.shed, 50)
  // Within one window (a long one here), items beyond the cap are shed.
  const capped = harness({ coalesceMs: 60_000, maxItemsPerWindow: 5 })
  capped.broadcasts.add(defineComponent({ name: 'rows', dir, props, live: { tags: ['contacts'], swap: 'append', props: (c) => ({ id: c.id }) } }))
  for (let id = 1; id <= 30; id++) capped.broadcasts.announce(['contacts'], { kind: 'create', id })
  assert.deepEqual([capped.published.length, capped.broadcasts.stats().shed], [5, 25])
  capped.broadcasts.close()
  // Rendering: once per message; a change the component ignores is dropped, not rendered.
  const rows = channels.find((c) => c.channel === 'broadcast.rows')!
  assert.equal(await rows.render('{"tags":["contacts"],"kind":"create","id":7}'), '<b>rows {"id":7}</b>')
  const ignored = await rows.render('{"tags":["contacts"],"kind":"delete","id":7}')
  assert.equal((ignored as { reason?: string }).reason, 'not-affected')
  assert.equal((await rows.render('{"tags":') as { reason?: string }).reason, 'invalid-change')
  broadcasts.close()
})

test('leading edge: a lone change is published at once, even with a huge window; the changes inside the window leave as one trailing update', async () => {
  const { broadcasts, published } = harness({ coalesceMs: 60_000 })
  broadcasts.add(defineComponent({ name: 'contact_count', dir, props, live: { tags: ['contacts'] } }))
  broadcasts.add(defineComponent({ name: 'order_count', dir, props, live: { tags: ['orders'] } }))
  broadcasts.announce(['contacts', 'contact:1'], { kind: 'create', id: 1 })
  // Synchronously: no window was waited for.
  assert.deepEqual(published.map((p) => [p.channel, p.payload]), [['broadcast.contact_count', '{"tags":["contacts","contact:1"]}']])
  // A quiet component is not held back by another's window.
  broadcasts.announce(['orders'])
  assert.equal(published.filter((p) => p.channel === 'broadcast.order_count').length, 1)
  for (let id = 2; id <= 1000; id++) broadcasts.announce(['contacts', `contact:${id}`], { kind: 'create', id })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(published.filter((p) => p.channel === 'broadcast.contact_count').length, 1, 'the rest of the burst waits for the end of the window')
  assert.equal(broadcasts.stats().coalesced, 999)
  broadcasts.close()
})

test('a burst of 1,000 changes makes at most two replace updates per window (leading and trailing), then the component is quiet again', async () => {
  const { broadcasts, published } = harness({ coalesceMs: 30 })
  broadcasts.add(defineComponent({ name: 'contact_count', dir, props, live: { tags: ['contacts'] } }))
  const count = () => published.filter((p) => p.channel === 'broadcast.contact_count').length
  // One synchronous burst: no timer can fire inside it, however slow the machine.
  for (let id = 1; id <= 1000; id++) broadcasts.announce(['contacts', `contact:${id}`], { kind: 'create', id })
  assert.equal(count(), 1, 'the leading update')
  // The trailing update closes the burst; its window then ends with nothing merged.
  while (count() < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(JSON.parse(published.at(-1)!.payload).tags[1], 'contact:1000', 'the trailing update carries the newest change')
  // Timers fire in order of expiry: the trailing update's window has ended by then.
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(count(), 2)
  // Quiet again: the next lone change goes out at once.
  broadcasts.announce(['contacts'])
  assert.equal(count(), 3)
  broadcasts.close()
})

test('a failed publish is logged, never thrown at the writer', async () => {
  const { broadcasts, warnings } = harness({ fail: true })
  broadcasts.add(defineComponent({ name: 'rows', dir, props, live: { tags: ['contacts'], swap: 'append', props: (c) => ({ id: c.id }) } }))
  assert.doesNotThrow(() => broadcasts.announce(['contacts'], { kind: 'create', id: 1 }))
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(warnings.length, 1)
  broadcasts.close()
})
