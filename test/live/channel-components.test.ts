// A live component from a channel of events (live: { channel, message }), without a database:
// each published message is checked, rendered once per process and pushed on the page stream
// and on the component's own stream route (with replay); bad messages are dropped and counted.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { projectRoot } from '../../src/paths.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { buildLiveWithComponents, openComponentStream, publishAndDrop, publishAndWait } from '../helpers/components.js'

const dir = join(projectRoot, 'test', 'fixtures', 'components', 'ticker')
const TickerProps = Type.Object({ n: Type.Integer({ minimum: 0 }), label: Type.Optional(Type.String({ maxLength: 20 })) }, { additionalProperties: false })

/** A message is {"n": <integer>}: anything else is dropped. */
function tickerMessage (payload: string) {
  try {
    const value: unknown = JSON.parse(payload)
    if (typeof value === 'object' && value !== null && Number.isInteger((value as { n?: unknown }).n)) return { ok: true as const, value: { n: (value as { n: number }).n, label: 'tick' } }
  } catch {}
  return { ok: false as const, reason: 'invalid-tick', detail: payload.slice(0, 100) }
}

const ticker = defineComponent({
  name: 'ticker',
  dir,
  props: TickerProps,
  live: { channel: 'test_ticks', message: tickerMessage, stream: '/ticker/', event: 'tick', element: 'p' }
})

async function build (t: TestContext): Promise<FastifyInstance> {
  return await buildLiveWithComponents(t, async (fastify) => {
    fastify.components.register(ticker)
    fastify.route(fastify.broadcasts.route(ticker))
  })
}

function baseUrl (app: FastifyInstance): string {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  return `http://127.0.0.1:${address.port}`
}

test('channel options are checked when the component is defined, naming the fix', () => {
  const base = { name: 'ticker', dir, props: TickerProps }
  assert.throws(() => defineComponent({ ...base, live: {} }), /live\.needs either tags .* or channel/)
  assert.throws(() => defineComponent({ ...base, live: { tags: ['x'], channel: 'c', message: tickerMessage } }), /not both/)
  assert.throws(() => defineComponent({ ...base, live: { channel: 'c' } }), /live\.message is required with channel/)
  assert.throws(() => defineComponent({ ...base, live: { channel: 'broadcast.x', message: tickerMessage } }), /live\.channel must .* not start with "broadcast\."/)
  assert.throws(() => defineComponent({ ...base, live: { channel: 'a b', message: tickerMessage } }), /live\.channel/)
  assert.throws(() => defineComponent({ ...base, live: { tags: ['x'], update: 'template.hbs' } }), /live\.message and update are for channel components/)
  assert.throws(() => defineComponent({ ...base, live: { channel: 'c', message: tickerMessage, update: 'missing.hbs' } }), /live\.update template .*missing\.hbs does not exist/)
  assert.throws(() => defineComponent({ ...base, live: { channel: 'c', message: tickerMessage, stream: 'no-slash' } }), /live\.stream must be a URL path/)
  assert.throws(() => defineComponent({ ...base, live: { channel: 'c', message: tickerMessage, element: false }, cache: { ttlMs: 1000 } }), /cannot be cached/)
  assert.throws(() => defineComponent({ ...base, live: { channel: 'c', message: tickerMessage, family: { prefix: 'a b', key: () => undefined, authorize: () => true } } }), /live\.family needs prefix/)
})

test('on a page stream: each message is checked, rendered once and swapped in; bad ones are dropped and counted', async (t) => {
  const app = await build(t)
  const client = await openComponentStream(t, app, 'ticker', { n: 0 })
  assert.equal(await publishAndWait(app, client, 'ticker', '{"n":1}'), '<span class="ticker">tick: 1</span>')
  assert.equal(await publishAndDrop(app, 'ticker', 'not json'), 'invalid-tick')
  assert.equal(await publishAndDrop(app, 'ticker', '{"n":"two"}'), 'invalid-tick')
  assert.equal(await publishAndWait(app, client, 'ticker', '{"n":3}'), '<span class="ticker">tick: 3</span>')
  assert.deepEqual(client.data('test_ticks'), ['<span class="ticker">tick: 1</span>', '<span class="ticker">tick: 3</span>'])
  assert.equal(app.broadcasts.stats().renders, 2)
  assert.deepEqual(app.broadcasts.add(ticker)?.stats().dropped, { 'invalid-tick': 2 })
  // The page element swaps these events in place.
  const page = app.livePages.page()
  const html = await app.components.renderInPage('ticker', { n: 7 }, page)
  assert.match(html, /^<p data-live-component="ticker" data-live-channel="test_ticks" data-live-index="0" hx-swap="innerMorph" hx-ext="flc-morph" sse-swap="test_ticks"><span class="ticker">: 7<\/span><\/p>$/)
})

test('its own stream route: outside a page stream the component connects to it from the newest id, and it replays', async (t) => {
  const app = await build(t)
  const first = await app.broker.publish('test_ticks', '{"n":1}')
  const { html } = await app.components.render('ticker', { n: 1 })
  const url = /sse-connect="([^"]+)"/.exec(html)?.[1]
  assert.equal(url, `/ticker/?lastEventId=${encodeURIComponent(first)}`)
  assert.match(html, /hx-ext="sse,flc-morph" sse-connect="[^"]+" sse-swap="tick" hx-swap="innerMorph"/)
  await app.broker.publish('test_ticks', '{"n":2}')
  // Connecting after a message published since the render: it is replayed, named `tick`.
  const client = await SseTestClient.connect(`${baseUrl(app)}${url ?? ''}`)
  t.after(() => client.close())
  await client.waitFor((c) => c.data('tick').length === 1, 'the replayed tick')
  assert.deepEqual(client.data('tick'), ['<span class="ticker">tick: 2</span>'])
  await app.broker.publish('test_ticks', '{"n":3}')
  await client.waitFor((c) => c.data('tick').length === 2, 'the live tick')
  assert.equal(client.data('tick')[1], '<span class="ticker">tick: 3</span>')
  // A component without a stream route cannot be given one.
  assert.throws(() => app.broadcasts.route(defineComponent({ name: 'ticker_two', dir, props: TickerProps, live: { channel: 'test_ticks_2', message: tickerMessage } })), /has no stream route: declare live\.stream/)
})
