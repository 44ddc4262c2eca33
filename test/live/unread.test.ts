// No render without a reader: a message arriving while no browser of this process reads its
// channel is counted (unread) and not rendered; a browser coming back with its last id still gets
// it, rendered then, and browsers reading the channel get every message as before.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SseTestClient } from '../helpers/sse-client.js'
import { liveEnv, startLiveApp } from './helpers/app.js'
import { waitFor } from '../helpers/wait.js'

for (const kind of ['memory', 'redis'] as const) {
  describe(`unread messages (${kind} broker)`, () => {
    test('not rendered without a reader; replayed (rendered on demand) to a browser that comes back, live ones rendered once', async (t) => {
      const env = await liveEnv(t, kind)
      if (env === undefined) return
      const rendered: string[] = []
      const { url, channel } = await startLiveApp(t, env, (payload) => {
        rendered.push(payload)
        return `<i>${payload}</i>`
      })
      await channel.publish('nobody')
      await waitFor(() => channel.stats().messages === 1, { what: 'the message to arrive' })
      assert.equal(channel.stats().unread, 1)
      assert.deepEqual(rendered, [], 'no browser: not rendered')

      const first = await SseTestClient.connect(url)
      await first.waitFor((c) => c.retry !== undefined, 'the stream to open')
      const id0 = await channel.publish('m0')
      await first.waitForEvents(1)
      assert.equal(first.lastEventId, id0)
      first.close()
      await waitFor(() => channel.stats().clients === 0, { what: 'the browser gone' })

      await channel.publish('m1')
      await channel.publish('m2')
      await waitFor(() => channel.stats().messages === 4, { what: 'm1 and m2 to arrive' })
      assert.equal(channel.stats().unread, 3)
      assert.deepEqual(rendered, ['m0'])

      const back = await SseTestClient.connect(url, { 'Last-Event-ID': id0 })
      t.after(() => back.close())
      await back.waitForEvents(2)
      assert.deepEqual(back.data(), ['<i>m1</i>', '<i>m2</i>'])
      const id3 = await channel.publish('m3')
      await back.waitFor((c) => c.lastEventId === id3, 'm3 live')
      assert.deepEqual(back.data(), ['<i>m1</i>', '<i>m2</i>', '<i>m3</i>'])
      // Each rendered once: the missed ones when replayed, the live one when it came.
      assert.deepEqual(rendered, ['m0', 'm1', 'm2', 'm3'])
      assert.equal(channel.stats().unread, 3)
    })
  })
}
