// The SSE route end to end over real sockets, with both broker kinds.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect as netConnect } from 'node:net'
import { Redis } from 'ioredis'
import { SseTestClient } from '../helpers/sse-client.js'
import { EVENT, liveEnv, redisConnections, startLiveApp } from './helpers/app.js'
import { waitFor } from '../helpers/wait.js'

function range (n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + from)
}

for (const kind of ['memory', 'redis'] as const) {
  describe(`live SSE stream (${kind} broker)`, () => {
    test('headers, retry, and multi-line HTML framed one data: line per line (\\n, \\r\\n, \\r)', async (t) => {
      const env = await liveEnv(t, kind, { SSE_RETRY_MS: '1234' })
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const client = await SseTestClient.connect(url)
      t.after(() => client.close())
      assert.equal(client.status, 200)
      assert.equal(client.headers['content-type'], 'text/event-stream; charset=utf-8')
      assert.equal(client.headers['cache-control'], 'no-cache, no-transform')
      assert.equal(client.headers.connection, 'keep-alive')
      assert.equal(client.headers['x-accel-buffering'], 'no')
      await client.waitFor((c) => c.retry !== undefined, 'retry field')
      assert.equal(client.retry, 1234)

      const id1 = await channel.publish('<pre>\n  two spaces\r\n one space\rlast</pre>')
      const id2 = await channel.publish('a\n\nb\n')
      await client.waitForEvents(2)
      assert.deepEqual(client.events, [
        { event: EVENT, data: '<pre>\n  two spaces\n one space\nlast</pre>', lastEventId: id1 },
        { event: EVENT, data: 'a\n\nb\n', lastEventId: id2 }
      ])
      assert.ok(client.raw.includes(`id: ${id1}\nevent: ${EVENT}\ndata: <pre>\ndata:   two spaces\ndata:  one space\ndata: last</pre>\n\n`), client.raw)
    })

    for (const via of ['Last-Event-ID header', 'lastEventId query parameter'] as const) {
      test(`replay via ${via}: exactly the missed messages in order, then live`, async (t) => {
        const env = await liveEnv(t, kind)
        if (env === undefined) return
        const { url, channel } = await startLiveApp(t, env)
        const first = await SseTestClient.connect(url)
        const id0 = await channel.publish('m0')
        await first.waitForEvents(1)
        assert.equal(first.lastEventId, id0)
        first.close()
        await waitFor(() => channel.stats().clients === 0, { what: 'first client gone' })

        const missed = []
        for (const i of range(5, 1)) missed.push(await channel.publish(`m${i}`))
        const second = via === 'Last-Event-ID header'
          ? await SseTestClient.connect(url, { 'Last-Event-ID': first.lastEventId })
          : await SseTestClient.connect(`${url}?lastEventId=${encodeURIComponent(first.lastEventId)}`)
        t.after(() => second.close())
        await second.waitForEvents(5)
        assert.deepEqual(second.events.map((e) => e.data), ['m1', 'm2', 'm3', 'm4', 'm5'])
        assert.deepEqual(second.events.map((e) => e.lastEventId), missed)
        const id6 = await channel.publish('m6')
        await second.waitForEvents(6)
        assert.deepEqual(second.data(), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'])
        assert.equal(second.lastEventId, id6)
        assert.equal(channel.stats().replayed, 5)
      })
    }

    test('replay while messages keep coming: no gap, no duplicate', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const start = await channel.publish('start')
      for (const i of range(5)) await channel.publish(`m${i}`)
      const connecting = SseTestClient.connect(url, { 'Last-Event-ID': start })
      for (const i of range(30, 5)) await channel.publish(`m${i}`) // concurrent with the replay
      const client = await connecting
      t.after(() => client.close())
      await client.waitForEvents(35)
      const last = await channel.publish('end')
      await client.waitFor((c) => c.lastEventId === last, 'end message')
      assert.deepEqual(client.data(), [...range(35).map((i) => `m${i}`), 'end'])
    })

    test('the header wins over the query parameter', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const a = await channel.publish('a')
      await channel.publish('b')
      const client = await SseTestClient.connect(`${url}?lastEventId=garbage`, { 'Last-Event-ID': a })
      t.after(() => client.close())
      await client.waitForEvents(1)
      assert.deepEqual(client.data(), ['b'])
    })

    test('too-old, unknown and malformed ids get a reset event positioned at the newest id, then live', async (t) => {
      const env = await liveEnv(t, kind, { LIVE_HISTORY_SIZE: '3' })
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const old = await channel.publish('old')
      // Enough for Redis's approximate MAXLEN (whole 100-entry nodes) to trim "old" away.
      const ids = await Promise.all(range(250).map((i) => channel.publish(`n${i}`)))
      const newest = ids.at(-1)!

      const cases = [['too-old', old], ['unknown', '99999999999999-0'], ['malformed', 'not-an-id']] as const
      const clients = []
      for (const [reason, lastId] of cases) {
        const client = await SseTestClient.connect(url, { 'Last-Event-ID': lastId })
        t.after(() => client.close())
        await client.waitForEvents(1, `reset for ${reason}`)
        assert.deepEqual(client.events[0], { event: 'reset', data: JSON.stringify({ reason }), lastEventId: newest })
        clients.push(client)
      }
      const after = await channel.publish('after')
      for (const client of clients) {
        await client.waitForEvents(2)
        assert.deepEqual(client.events[1], { event: EVENT, data: 'after', lastEventId: after })
      }
      assert.deepEqual(channel.stats().resets, { 'too-old': 1, unknown: 1, malformed: 1 })

      // The id given with the reset is a good place to resume from.
      const resumed = await SseTestClient.connect(url, { 'Last-Event-ID': clients[0]!.events[0]!.lastEventId })
      t.after(() => resumed.close())
      const later = await channel.publish('later')
      await resumed.waitFor((c) => c.lastEventId === later, 'later')
      assert.deepEqual(resumed.events.map((e) => e.data), ['after', 'later'])
    })

    test('lastEventId=0-0 (page rendered while the channel was empty) replays everything, no reset', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      assert.equal(await channel.lastId(), null)
      await channel.publish('published before connect')
      const client = await SseTestClient.connect(`${url}?lastEventId=0-0`)
      t.after(() => client.close())
      await channel.publish('published after connect')
      await client.waitForEvents(2)
      assert.deepEqual(client.data(), ['published before connect', 'published after connect'])
    })

    test('HEAD answers the stream headers and ends, leaving no stream open', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { app, url } = await startLiveApp(t, env)
      const response = await fetch(url, { method: 'HEAD' })
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
      assert.equal(app.live.stats().clients, 0)
    })

    test('no last id: live only, positioned at the newest id without any event', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const before = await channel.publish('before')
      const client = await SseTestClient.connect(url)
      t.after(() => client.close())
      await client.waitFor((c) => c.lastEventId === before, 'id-only frame')
      assert.equal(client.events.length, 0)
      await channel.publish('live')
      await client.waitForEvents(1)
      assert.deepEqual(client.data(), ['live'])
    })

    test('heartbeat comments arrive; the one timer stops when the last client leaves', async (t) => {
      const env = await liveEnv(t, kind, { SSE_HEARTBEAT_MS: '50' })
      if (env === undefined) return
      const { app, url } = await startLiveApp(t, env)
      assert.equal(app.live.stats().heartbeat, false)
      const clients = [await SseTestClient.connect(url), await SseTestClient.connect(url)]
      for (const client of clients) await client.waitFor((c) => c.comments.filter((x) => x === 'ping').length >= 2, 'two pings')
      assert.equal(app.live.stats().heartbeat, true)
      for (const client of clients) client.close()
      await waitFor(() => app.live.stats().clients === 0, { what: 'clients gone' })
      assert.equal(app.live.stats().heartbeat, false)
    })

    test('a client that stops reading is evicted; another keeps receiving everything', async (t) => {
      const env = await liveEnv(t, kind, { SSE_MAX_QUEUE_BYTES: String(64 * 1024) })
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const fast = await SseTestClient.connect(url)
      t.after(() => fast.close())
      const { port } = new URL(url)
      const slow = netConnect(Number(port), '127.0.0.1')
      t.after(() => slow.destroy())
      slow.write('GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
      slow.pause() // never reads: kernel buffers fill up, then the server-side queue
      await waitFor(() => channel.stats().clients === 2, { what: 'two clients' })

      const filler = 'x'.repeat(60 * 1024)
      let sent = 0
      while (channel.stats().evicted === 0 && sent < 1000) {
        await channel.publish(`${sent}:${filler}`)
        sent++
        // The reading client keeps up (its queue drains between messages); the other never reads.
        await fast.waitForEvents(sent)
      }
      assert.equal(channel.stats().evicted, 1)
      assert.equal(channel.stats().clients, 1)
      assert.deepEqual(fast.data().map((d) => Number(d.split(':')[0])), range(sent))
    })

    test('a replay larger than the queue bound reaches a reading client in steps, not evicted', async (t) => {
      const env = await liveEnv(t, kind, { SSE_MAX_QUEUE_BYTES: String(64 * 1024) })
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const start = await channel.publish('start')
      const filler = 'y'.repeat(30 * 1024)
      for (const i of range(60)) await channel.publish(`${i}:${filler}`) // ~1.8 MB of history
      const client = await SseTestClient.connect(url, { 'Last-Event-ID': start })
      t.after(() => client.close())
      await channel.publish('live:after replay')
      await client.waitForEvents(61)
      assert.deepEqual(client.data().map((d) => d.split(':')[0]), [...range(60).map(String), 'live'])
      assert.equal(channel.stats().evicted, 0)
    })

    test('a message whose render throws or rejects is dropped alone, counted by reason', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { url, channel } = await startLiveApp(t, env)
      const client = await SseTestClient.connect(url)
      t.after(() => client.close())
      const before = await channel.publish('ok0')
      await channel.publish('ok1')
      await channel.publish('throw this one')
      await channel.publish('drop this one')
      await channel.publish('ok2')
      await client.waitForEvents(3)
      const replaying = await SseTestClient.connect(url, { 'Last-Event-ID': before })
      t.after(() => replaying.close())
      const end = await channel.publish('ok3')
      await client.waitFor((c) => c.lastEventId === end, 'ok3')
      await replaying.waitFor((c) => c.lastEventId === end, 'ok3 (replaying)')
      assert.deepEqual(client.data(), ['ok0', 'ok1', 'ok2', 'ok3'])
      assert.deepEqual(replaying.data(), ['ok1', 'ok2', 'ok3'])
      // Rendered once: the replay reused the cached outcome and did not count the drops again.
      assert.deepEqual(channel.stats().dropped, { 'render-error': 1, 'dropped-on-purpose': 1 })
    })

    test('disconnecting leaves nothing behind: no client, no timer, one broker subscription', async (t) => {
      const env = await liveEnv(t, kind, { SSE_HEARTBEAT_MS: '50' })
      if (env === undefined) return
      const { app, url, channel } = await startLiveApp(t, env)
      const id = await channel.publish('x')
      const clients = await Promise.all(range(10).map((i) => SseTestClient.connect(url, i % 2 === 0 ? { 'Last-Event-ID': id } : {})))
      await waitFor(() => channel.stats().clients === 10, { what: 'ten clients' })
      assert.equal(app.broker.stats().handlers, 1)
      for (const client of clients) client.close()
      await waitFor(() => app.live.stats().clients === 0 && channel.stats().clients === 0, { what: 'all gone' })
      assert.equal(app.live.stats().heartbeat, false)
      assert.deepEqual({ channels: app.broker.stats().channels, handlers: app.broker.stats().handlers }, { channels: 1, handlers: 1 })
      assert.equal(app.server.listenerCount('request'), 1)
      // Still working for the next one.
      const next = await SseTestClient.connect(url)
      t.after(() => next.close())
      await channel.publish('y')
      await next.waitForEvents(1)
      assert.deepEqual(next.data(), ['y'])
    })

    test('app close ends open streams and quits the broker', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const { app, url, channel, connectionName } = await startLiveApp(t, env)
      const clients = await Promise.all(range(3).map(() => SseTestClient.connect(url)))
      await channel.publish('before close')
      for (const client of clients) await client.waitForEvents(1)
      await app.close()
      for (const client of clients) await client.waitFor((c) => c.ended, 'stream end')
      assert.equal(app.live.stats().clients, 0)
      if (kind === 'redis') {
        const probe = new Redis(env.REDIS_URL!)
        t.after(() => probe.disconnect())
        await waitFor(async () => (await redisConnections(probe, connectionName)).length === 0, { what: 'connections closed' })
      }
    })
  })
}
