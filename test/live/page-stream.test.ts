// The page stream (GET /live/) end to end over real sockets, with both broker kinds: several
// channels on one connection, a cursor id that resumes every channel exactly, signed tokens.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SseTestClient } from '../helpers/sse-client.js'
import { liveEnv } from './helpers/app.js'
import { waitFor } from '../helpers/wait.js'
import { startPageApp } from './helpers/page-app.js'
import { loadSecretKeys } from '../../src/security/keys.js'
import { signPageToken } from '../../src/live/pages/page-token.js'

const quiet = { warn () {} }

for (const kind of ['memory', 'redis'] as const) {
  describe(`page stream (${kind} broker)`, () => {
    test('two channels over one connection: events named by channel, the id carries both positions', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { app, alpha, beta, streamUrl } = await startPageApp(t, env)
      const client = await SseTestClient.connect(streamUrl(['alpha', 'beta'], '0-0_0-0'))
      t.after(() => client.close())
      assert.equal(client.status, 200)
      assert.equal(client.headers['content-type'], 'text/event-stream; charset=utf-8')
      const a1 = await alpha.publish('a1')
      const b1 = await beta.publish('<p>\nb1</p>')
      const a2 = await alpha.publish('a2')
      await client.waitForEvents(3)
      assert.deepEqual(client.events, [
        { event: 'alpha', data: 'a1', lastEventId: `${a1}_0-0` },
        { event: 'beta', data: '<p>\nb1</p>', lastEventId: `${a1}_${b1}` },
        { event: 'alpha', data: 'a2', lastEventId: `${a2}_${b1}` }
      ])
      // One connection for the whole page.
      assert.equal(app.live.stats().clients, 1)
      assert.equal(app.livePages.streams.stats().connections, 1)
    })

    test('reconnecting with the cursor (header or query) replays exactly what each channel missed, while both keep publishing', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { app, alpha, beta, streamUrl } = await startPageApp(t, env)
      const first = await SseTestClient.connect(streamUrl(['alpha', 'beta'], '0-0_0-0'))
      await alpha.publish('a0')
      await beta.publish('b0')
      await first.waitForEvents(2)
      const cursor = first.lastEventId
      first.close()
      await waitFor(() => app.livePages.streams.stats().connections === 0, { what: 'first page gone' })

      for (let i = 1; i <= 5; i++) { await alpha.publish(`a${i}`); await beta.publish(`b${i}`) }
      for (const via of ['header', 'query'] as const) {
        const url = via === 'header' ? streamUrl(['alpha', 'beta']) : streamUrl(['alpha', 'beta'], cursor)
        const connecting = SseTestClient.connect(url, via === 'header' ? { 'Last-Event-ID': cursor } : {})
        const client = await connecting
        t.after(() => client.close())
        await client.waitForEvents(10, `replay via ${via}`)
        assert.deepEqual(client.data('alpha'), ['a1', 'a2', 'a3', 'a4', 'a5'])
        assert.deepEqual(client.data('beta'), ['b1', 'b2', 'b3', 'b4', 'b5'])
      }
    })

    test('replay concurrent with publishing: no gap, no duplicate on either channel', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { alpha, beta, streamUrl } = await startPageApp(t, env)
      const a = await alpha.publish('start')
      const b = await beta.publish('start')
      for (let i = 0; i < 5; i++) { await alpha.publish(`a${i}`); await beta.publish(`b${i}`) }
      const connecting = SseTestClient.connect(streamUrl(['alpha', 'beta'], `${a}_${b}`))
      for (let i = 5; i < 30; i++) await Promise.all([alpha.publish(`a${i}`), beta.publish(`b${i}`)])
      const client = await connecting
      t.after(() => client.close())
      await client.waitForEvents(60)
      const endA = await alpha.publish('end')
      const endB = await beta.publish('end')
      await client.waitFor((c) => c.lastEventId === `${endA}_${endB}`, 'both end messages')
      const expect = (p: string) => [...Array.from({ length: 30 }, (_, i) => `${p}${i}`), 'end']
      assert.deepEqual(client.data('alpha'), expect('a'))
      assert.deepEqual(client.data('beta'), expect('b'))
    })

    test('the page learns each channel\'s position at render time: messages between render and connect arrive', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { app, alpha, beta, base } = await startPageApp(t, env)
      await alpha.publish('before render')
      const page = app.livePages.page()
      page.join('alpha', await app.live.lastId('alpha'))
      page.join('beta', await app.live.lastId('beta'))
      const attributes = page.attributes()
      await alpha.publish('gap a')
      await beta.publish('gap b')
      const url = /sse-connect="([^"]+)"/.exec(attributes)?.[1]?.replace(/&amp;/g, '&')
      assert.ok(url !== undefined, attributes)
      assert.ok(url.startsWith('/live/?s='))
      const client = await SseTestClient.connect(`${base}${url}`)
      t.after(() => client.close())
      await client.waitForEvents(2)
      assert.deepEqual(client.events.map((e) => [e.event, e.data]), [['alpha', 'gap a'], ['beta', 'gap b']])
    })

    test('an unusable cursor gets one reset per channel, positioned at the newest ids, then live', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { app, alpha, beta, streamUrl } = await startPageApp(t, env)
      await alpha.publish('a')
      const b = await beta.publish('b')
      for (const cursor of ['garbage', '1-0']) {
        const client = await SseTestClient.connect(streamUrl(['alpha', 'beta'], cursor))
        t.after(() => client.close())
        await client.waitForEvents(2, `resets for ${cursor}`)
        assert.ok(client.events.every((e) => e.event === 'reset'))
        const resets = client.events.map((e) => JSON.parse(e.data) as { reason: string, channel: string })
        assert.deepEqual(resets.map((r) => r.reason), ['malformed', 'malformed'])
        assert.deepEqual(new Set(resets.map((r) => r.channel)), new Set(['alpha', 'beta']))
        const next = await alpha.publish(`next ${cursor}`)
        await client.waitForEvents(3)
        assert.deepEqual(client.events[2], { event: 'alpha', data: `next ${cursor}`, lastEventId: `${next}_${b}` })
      }
      // One channel unknown (another history epoch), the other fine: only the first is reset.
      const client = await SseTestClient.connect(streamUrl(['alpha', 'beta'], '99999999999999-0_0-0'))
      t.after(() => client.close())
      await client.waitForEvents(2)
      assert.deepEqual(client.events.map((e) => e.event).sort(), ['beta', 'reset'])
      assert.deepEqual(JSON.parse(client.events.find((e) => e.event === 'reset')?.data ?? ''), { reason: 'unknown', channel: 'alpha' })
      assert.deepEqual(client.data('beta'), ['b'])
      assert.deepEqual(app.livePages.streams.stats().resets, { malformed: 4, unknown: 1 })
    })
  })
}

describe('page stream tokens', () => {
  test('missing, tampered, expired and foreign tokens get 403 and no stream', async (t) => {
    const { app, alpha, base, streamUrl } = await startPageApp(t, {})
    const good = new URL(streamUrl(['alpha'])).searchParams.get('s') as string
    const [body, mac] = good.split('.') as [string, string]
    const otherChannels = Buffer.from(JSON.stringify({ c: ['alpha', 'beta'], e: Date.now() + 60_000 })).toString('base64url')
    const foreign = loadSecretKeys({ NODE_ENV: 'test', SECRET_KEYS: 'x'.repeat(40) }, quiet)
    const cases: Array<[string, string]> = [
      ['missing', `${base}/live/`],
      ['malformed', `${base}/live/?s=not-a-token`],
      ['bad-signature', `${base}/live/?s=${otherChannels}.${mac}`],
      ['bad-signature', `${base}/live/?s=${body}.${mac.slice(0, -2)}AA`],
      ['bad-signature', `${base}/live/?s=${signPageToken(foreign, { channels: ['alpha'], expiresAt: Date.now() + 60_000 })}`]
    ]
    for (const [reason, url] of cases) {
      const response = await fetch(url, { headers: { Accept: 'text/event-stream' } })
      assert.equal(response.status, 403, `${reason}: ${url}`)
      assert.match(response.headers.get('content-type') ?? '', /application\/json/)
      await response.text()
    }
    const expiring = startPageAppExpired(app)
    const expired = await fetch(`${base}/live/?s=${expiring}`)
    assert.equal(expired.status, 403)
    const refusal = await expired.json() as { code?: string, message?: string }
    assert.equal(refusal.code, 'FLC_STREAM_TOKEN_EXPIRED')
    assert.match(refusal.message ?? '', /expired/)
    assert.equal(app.live.stats().clients, 0)
    assert.equal(alpha.stats().clients, 0)
    assert.deepEqual(app.livePages.streams.stats().refused, { missing: 1, malformed: 1, 'bad-signature': 3, expired: 1 })
  })

  test('key rotation: a token signed with the old key still opens the stream once the new key signs', async (t) => {
    const oldKey = 'o'.repeat(40)
    const newKey = 'n'.repeat(40)
    const signedByOld = signPageToken(loadSecretKeys({ NODE_ENV: 'test', SECRET_KEYS: oldKey }, quiet), { channels: ['alpha'], expiresAt: Date.now() + 60_000 })
    const { base } = await startPageApp(t, { SECRET_KEYS: `${newKey},${oldKey}` })
    const client = await SseTestClient.connect(`${base}/live/?s=${signedByOld}`)
    t.after(() => client.close())
    assert.equal(client.status, 200)
    const { base: base2 } = await startPageApp(t, { SECRET_KEYS: newKey })
    const refused = await fetch(`${base2}/live/?s=${signedByOld}`)
    assert.equal(refused.status, 403)
    await refused.text()
  })

  test('family channels: read with the token of the page, renewed only for a request still authorized', async (t) => {
    const { app, priv, base, streamUrl } = await startPageApp(t, {})
    const mine = priv.channel('k1')
    // The token alone is not enough for a private channel: the request must be authorized too
    // (a leaked URL reads nothing).
    const leaked = await fetch(streamUrl(['alpha', mine], '0-0_0-0'), { headers: { 'x-test-key': 'k2' } })
    assert.equal(leaked.status, 403)
    assert.equal((await leaked.json() as { code?: string }).code, 'FLC_STREAM_UNAUTHORIZED')
    const client = await SseTestClient.connect(streamUrl(['alpha', mine], '0-0_0-0'), { 'x-test-key': 'k1' })
    t.after(() => client.close())
    const id = await app.broker.publish(mine, 'just for k1')
    await app.broker.publish(priv.channel('k2'), 'for k2 only')
    await client.waitForEvents(1)
    assert.deepEqual(client.events, [{ event: mine, data: 'just for k1', lastEventId: `0-0_${id}` }])
    assert.deepEqual(app.livePages.streams.activeKeys('priv'), ['k1'])

    const token = new URL(streamUrl(['alpha', mine])).searchParams.get('s') as string
    const renewed = await fetch(`${base}/live/token?s=${token}`, { headers: { 'x-test-key': 'k1' } })
    assert.equal(renewed.status, 200)
    const fresh = await renewed.json() as { token: string, expiresAt: number }
    assert.ok(fresh.expiresAt > Date.now())
    const opened = await SseTestClient.connect(`${base}/live/?s=${fresh.token}`, { 'x-test-key': 'k1' })
    assert.equal(opened.status, 200)
    opened.close()
    const stranger = await fetch(`${base}/live/token?s=${token}`, { headers: { 'x-test-key': 'k2' } })
    assert.equal(stranger.status, 403)
    await stranger.text()
    client.close()
    await waitFor(() => app.livePages.streams.activeKeys('priv').length === 0, { what: 'family channel dropped with its last page' })
  })
})

test('a family whose messages replace each other replays only the newest to a page coming back', async (t) => {
  const { app, tally, streamUrl } = await startPageApp(t, {})
  const channel = tally.channel('k')
  const first = await SseTestClient.connect(streamUrl([channel], '0-0'))
  const seen = await app.broker.publish(channel, 'count 1')
  await first.waitForEvents(1)
  first.close()
  await waitFor(() => app.livePages.streams.activeKeys('tally').length === 0, { what: 'the family channel dropped with its page' })
  for (let n = 2; n <= 5; n++) await app.broker.publish(channel, `count ${n}`)

  const back = await SseTestClient.connect(streamUrl([channel], seen))
  t.after(() => back.close())
  await back.waitForEvents(1, 'the replay')
  await app.broker.publish(channel, 'count 6')
  await back.waitFor((c) => c.data(channel).includes('count 6'), 'the live message after the replay')
  assert.deepEqual(back.data(channel), ['count 5', 'count 6'], 'counts 2-4 were replaced by 5: not replayed')
})

function startPageAppExpired (app: Awaited<ReturnType<typeof startPageApp>>['app']): string {
  // The app's own keys: a genuine token whose time is up.
  const keys = loadSecretKeys(app.config, quiet)
  return signPageToken(keys, { channels: ['alpha'], expiresAt: Date.now() - 1 })
}
