// The notification component end to end on the in-process broker, over real sockets:
// page → stream URL, POST /notifications, validation of channel messages, escaping.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { waitFor } from '../helpers/wait.js'

const TOKEN = 'test-token-0123456789abcdef'

async function startApp (t: TestContext, overrides: Parameters<typeof build>[1] = {}): Promise<{ app: FastifyInstance, base: string } | undefined> {
  const url = await createTestDatabase(t)
  if (url === undefined) return undefined
  const app = await build(t, { DATABASE_URL: url, NOTIFICATIONS_TOKEN: TOKEN, DEMO_CONTACTS: 0, ...overrides })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { app, base: `http://127.0.0.1:${address.port}` }
}

async function connect (t: TestContext, url: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
  const client = await SseTestClient.connect(url, headers)
  t.after(() => client.close())
  return client
}

const notification = (title: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 7, title, message: 'hello', color: 'blue', timestamp: 'now', ...extra })

function post (base: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return fetch(`${base}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

function streamUrlOf (html: string): string {
  const url = /sse-connect="([^"]+)"/.exec(html)?.[1]
  assert.ok(url, 'the page has an sse-connect URL')
  return url.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')
}

test('the page wires both feeds to one page stream (htmx SSE extension)', async (t) => {
  const started = await startApp(t)
  if (started === undefined) return
  const html = (await started.app.inject('/')).body
  const stream = /<div class="columns"[^>]*>/.exec(html)?.[0] ?? ''
  assert.match(stream, /hx-ext="sse"/)
  assert.match(stream, /data-live-page/)
  assert.equal([...html.matchAll(/sse-connect=/g)].length, 1, 'one stream for the whole page')
  const feeds = [...html.matchAll(/<div class="notification-feed[^>]*>/g)].map((m) => m[0])
  assert.equal(feeds.length, 2)
  assert.match(feeds[0] ?? '', /sse-swap="notifications_channel"/)
  assert.match(feeds[1] ?? '', /sse-swap="private_notifications:[A-Za-z0-9_-]{22}"/)
  assert.ok(feeds.every((feed) => /hx-swap="afterbegin"/.test(feed) && !/sse-connect/.test(feed)))
  // The cursor also carries the page's other live components (contact_count, presence, new_contacts, …);
  // contact_count comes first and holds its start-up update (its channel was empty).
  assert.match(streamUrlOf(html), /^\/live\/\?s=[^&]+&lastEventId=\d+-\d+(_0-0){5}$/, 'no message yet: the feeds start from the beginning')
  assert.match(html, /\/components\/notification\/script\.js\?v=/)
  assert.match(html, /<script src="\/static\/live-page\.js"><\/script>/)
})

test('a message published between page render and stream connect is not lost', async (t) => {
  const started = await startApp(t)
  if (started === undefined) return
  const { app, base } = started
  await app.broker.publish('notifications_channel', notification('before render'))
  // As a browser: the page's session cookie goes with its stream (the page carries a private feed).
  const { url: pageStream, cookie } = await openPage(base)
  const url = pageStream.slice(base.length)
  assert.match(url, /lastEventId=(0-0_)*[1-9]\d*-\d+/, 'the page carries the notification channel\'s current last id')
  await app.broker.publish('notifications_channel', notification('in the gap'))
  const client = await connect(t, base + url, { cookie })
  await app.broker.publish('notifications_channel', notification('live'))
  await client.waitFor((c) => c.data('notifications_channel').length >= 2, 'both notifications')
  const titles = client.data('notifications_channel').map((d) => /notification-title">([^<]*)</.exec(d)?.[1])
  assert.deepEqual(titles, ['in the gap', 'live'])
})

/** Opens the page as a browser would (keeping its session cookie); answers the stream URL. */
async function openPage (base: string, cookie?: string): Promise<{ cookie: string, url: string, session: string }> {
  const response = await fetch(`${base}/`, { headers: cookie === undefined ? {} : { cookie } })
  const html = await response.text()
  const setCookie = response.headers.get('set-cookie')
  const own = cookie ?? (setCookie ?? '').split(';')[0] ?? ''
  const session = /data-session-id>([^<]+)</.exec(html)?.[1] ?? ''
  return { cookie: own, url: base + streamUrlOf(html), session }
}

test('private notifications: each session sees only its own, from code and from POST /notifications with a target', async (t) => {
  const started = await startApp(t)
  if (started === undefined) return
  const { app, base } = started
  const { publishPrivateNotification } = await import('../../components/notification/index.js')
  const one = await openPage(base)
  const two = await openPage(base)
  assert.match(one.cookie, /^flc_session=/)
  assert.notEqual(one.session, two.session)
  // A leaked stream URL (the other session's cookie, or none) reads nothing of the private channel.
  const leaked = await SseTestClient.connect(one.url, { cookie: two.cookie })
  assert.equal(leaked.status, 403)
  leaked.close()
  const streamOne = await connect(t, one.url, { cookie: one.cookie })
  const streamTwo = await connect(t, two.url, { cookie: two.cookie })
  await waitFor(() => app.livePages.streams.stats().connections === 2, { what: 'both page streams connected' })

  await publishPrivateNotification(app, one.session, { title: 'for one', message: 'code', color: 'blue' })
  assert.equal((await post(base, { title: 'for two', message: 'http', color: 'red', target: two.session })).status, 202)
  assert.equal((await post(base, { title: 'bad target', message: 'x', color: 'red', target: 'nope' })).status, 400)
  await app.broker.publish('notifications_channel', notification('for everyone'))
  // Notifications only: the page's presence component has its updates too.
  const feeds = (client: SseTestClient) => client.events.filter((e) => !e.event.startsWith('presence:'))
  await streamOne.waitFor((c) => feeds(c).length >= 2, '2 notifications')
  await streamTwo.waitFor((c) => feeds(c).length >= 2, '2 notifications')
  const titles = (client: SseTestClient) => feeds(client).map((e) => /notification-title">([^<]*)</.exec(e.data)?.[1])
  assert.deepEqual(titles(streamOne), ['for one', 'for everyone'])
  assert.deepEqual(titles(streamTwo), ['for two', 'for everyone'])

  // The second session cannot read the first one's channel: not with its own cookie renewing
  // the first page's token, not with a token edited to name the channel.
  const token = new URL(one.url).searchParams.get('s') as string
  const renewOther = await fetch(`${base}/live/token?s=${encodeURIComponent(token)}`, { headers: { cookie: two.cookie } })
  assert.equal(renewOther.status, 403)
  await renewOther.text()
  const renewOwn = await fetch(`${base}/live/token?s=${encodeURIComponent(token)}`, { headers: { cookie: one.cookie } })
  assert.equal(renewOwn.status, 200)
  assert.ok(((await renewOwn.json()) as { token: string }).token.length > 0)

  // Replayable like the public feed: the same session reconnecting from its cursor gets what it missed.
  const cursor = streamOne.lastEventId
  streamOne.close()
  await publishPrivateNotification(app, one.session, { title: 'while away', message: 'replayed', color: 'green' })
  const again = await connect(t, one.url.replace(/lastEventId=[^&]+/, `lastEventId=${cursor}`), { cookie: one.cookie })
  await again.waitFor((c) => feeds(c).length >= 1, 'the missed notification')
  assert.deepEqual(titles(again), ['while away'])
  assert.equal(feeds(streamTwo).length, 2, 'the other session saw nothing of it')
})

test('the stream carries the seed markup, one data line per line, with escaping', async (t) => {
  const started = await startApp(t)
  if (started === undefined) return
  const { app, base } = started
  const client = await connect(t, `${base}/notification/`)
  assert.equal(client.status, 200)
  assert.match(client.headers['content-type'] as string, /^text\/event-stream/)
  assert.equal(client.headers['x-accel-buffering'], 'no')
  await app.broker.publish('notifications_channel', notification('<img src=x onerror=alert(1)>', { message: '"quoted" & <b>bold</b>' }))
  await client.waitForEvents(1)
  const [event] = client.events
  assert.equal(event?.event, 'notification')
  assert.match(event?.lastEventId ?? '', /^\d+-\d+$/)
  const html = event?.data ?? ''
  assert.match(html, /^<div class="notification" data-color="blue">\n/)
  assert.ok(html.includes('<span class="notification-title">&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;</span>'), html)
  assert.ok(html.includes('&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;'), html)
  assert.ok(!html.includes('<img') && !html.includes('<b>'))
  assert.match(client.raw, /\ndata: <div class="notification"[^\n]*\ndata: {3}<span/, 'each HTML line is its own data: line')
})

test('bad channel messages are dropped, counted, and the stream goes on', async (t) => {
  const started = await startApp(t)
  if (started === undefined) return
  const { app, base } = started
  const client = await connect(t, `${base}/notification/`)
  const corpus = [
    '{not json',
    '"a string"',
    '[]',
    'null',
    JSON.stringify({ message: 'no title', color: 'red' }),
    notification(''),
    notification('wrong type', { title: 42 }),
    notification('css injection', { color: 'red; background: url(https://evil.example/x)' }),
    notification('expression', { color: 'expression(alert(1))' }),
    notification('quote breakout', { color: 'red" onmouseover="alert(1)' }),
    notification('not a color', { color: 'notacolor' }),
    notification('huge', { message: 'x'.repeat(70 * 1024) }),
    notification('ok after the bad ones', { color: '#ff8800' })
  ]
  for (const payload of corpus) await app.broker.publish('notifications_channel', payload).catch(() => {})
  await client.waitForEvents(1)
  assert.equal(client.events.length, 1)
  assert.match(client.events[0]?.data ?? '', /data-color="#ff8800".*ok after the bad ones/s)
  const stats = app.live.stats().channels.find((c) => c.event === 'notification')
  const dropped = Object.values(stats?.dropped ?? {}).reduce((a, b) => a + b, 0)
  assert.ok(dropped >= corpus.length - 2, `dropped ${JSON.stringify(stats?.dropped)}`) // the 70 KiB one may be refused by the broker itself
})

test('POST /notifications: 401 without or with a wrong token, 400 with the reason, 202 and delivered', async (t) => {
  const started = await startApp(t)
  if (started === undefined) return
  const { base } = started
  const client = await connect(t, `${base}/notification/`)

  const missing = await post(base, JSON.parse(notification('x')), {})
  assert.equal(missing.status, 401)
  assert.equal((await missing.clone().json() as { code: string }).code, 'FLC_UNAUTHORIZED')
  assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/)
  assert.equal((await post(base, JSON.parse(notification('x')), { authorization: 'Bearer wrong-token-wrong-token' })).status, 401)
  assert.equal((await post(base, JSON.parse(notification('x')), { authorization: TOKEN })).status, 401)

  const badBodies: Array<[unknown, RegExp]> = [
    [{ message: 'm', color: 'red' }, /title is required/],
    [{ title: 't', message: 'm', color: 'red;x:y' }, /color must be a CSS color name/],
    [{ title: 't'.repeat(201), message: 'm', color: 'red' }, /title/],
    ['{broken', /JSON/i],
    [[1, 2], /JSON object/]
  ]
  for (const [body, reason] of badBodies) {
    const response = await post(base, body)
    assert.equal(response.status, 400, JSON.stringify(body))
    const answer = await response.json() as { message: string, code: string }
    assert.match(answer.message, reason)
    assert.equal(answer.code, body === '{broken' ? 'FST_ERR_CTP_INVALID_JSON_BODY' : 'FLC_INVALID_NOTIFICATION', JSON.stringify(body))
  }
  const tooLarge = await post(base, { title: 't', message: 'x'.repeat(70 * 1024), color: 'red' })
  assert.equal(tooLarge.status, 413)
  // Without the token the body is never read: 401, not a parse error or 413.
  assert.equal((await post(base, '{broken', {})).status, 401)
  assert.equal((await post(base, { title: 't', message: 'x'.repeat(70 * 1024), color: 'red' }, {})).status, 401)

  const accepted = await post(base, JSON.parse(notification('from HTTP')))
  assert.equal(accepted.status, 202)
  const { id } = await accepted.json() as { id: string }
  await client.waitForEvents(1)
  assert.equal(client.events.length, 1, 'rejected requests published nothing')
  assert.equal(client.events[0]?.lastEventId, id)
  assert.match(client.events[0]?.data ?? '', /from HTTP/)
})

test('POST /notifications is refused with a hint when no token is configured', async (t) => {
  const started = await startApp(t, { NOTIFICATIONS_TOKEN: undefined })
  if (started === undefined) return
  const response = await post(started.base, JSON.parse(notification('x')))
  assert.equal(response.status, 401)
  assert.match((await response.json() as { message: string }).message, /set NOTIFICATIONS_TOKEN/)
})

test('the demo publisher runs with the in-process broker and stops with the app', async (t) => {
  const started = await startApp(t, { DEMO_PUBLISHER: 'on', DEMO_PUBLISH_INTERVAL_MS: 100 })
  if (started === undefined) return
  const client = await connect(t, `${started.base}/notification/`)
  await client.waitForEvents(2)
  assert.match(client.events[0]?.data ?? '', /Notification \d+/)
})
