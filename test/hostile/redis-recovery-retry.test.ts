// Redis outage with a failed first recovery: the broker's retried recovery starts from
// the position before the outage; envelopes arriving meanwhile are held until it succeeded, so
// they cannot move lastDelivered past the messages published DURING the outage (the retry would
// then skip those, and pages connected to this process would never get them, not even a reset).
// Real Redis (unique prefix), the subscriber connection killed with CLIENT KILL; the failure of
// the first recovery read is injected as in test/hostile/redis-faults.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { SseTestClient } from '../helpers/sse-client.js'
import { liveEnv, redisConnections, startLiveApp } from '../live/helpers/app.js'
import { waitFor } from '../helpers/wait.js'

for (const failFirstRead of [false, true]) {
  test(`messages published during a subscriber outage ${failFirstRead ? 'are lost when the first recovery read fails' : 'are delivered (control: recovery read succeeds)'}`, async (t) => {
    const env = await liveEnv(t, 'redis')
    if (env === undefined) return
    const { url, channel, app, connectionName } = await startLiveApp(t, env)
    const client = await SseTestClient.connect(url)
    t.after(() => client.close())
    await channel.publish('<p>before</p>')
    await client.waitForEvents(1)

    const broker = app.broker as unknown as {
      topology: { subscribe: (...args: unknown[]) => Promise<void> }
      store: { readAfter: (channel: string, id: string) => Promise<unknown> }
      stats: () => { resubscriptions: number }
    }
    // During the outage (the subscriber is gone, not yet subscribed again) another process publishes two messages.
    const subscribe = broker.topology.subscribe.bind(broker.topology)
    let outagePublished = false
    broker.topology.subscribe = async (...args: unknown[]) => {
      if (!outagePublished) {
        outagePublished = true
        await channel.publish('<p>during outage 1</p>')
        await channel.publish('<p>during outage 2</p>')
      }
      await subscribe(...args)
    }
    // The first recovery read fails (command connection not ready yet); a message published
    // meanwhile arrives live and is let through before the retry.
    const readAfter = broker.store.readAfter.bind(broker.store)
    let reads = 0
    broker.store.readAfter = async (name, id) => {
      if (!failFirstRead || reads++ > 0) { reads++; return await readAfter(name, id) }
      await channel.publish('<p>during recovery</p>')
      throw new Error('command connection not ready (injected)')
    }

    const probe = new Redis(env.REDIS_URL!)
    t.after(() => probe.disconnect())
    const sub = (await redisConnections(probe, connectionName)).find((c) => c.name.endsWith(':sub'))
    assert.ok(sub !== undefined)
    await probe.client('KILL', 'ID', sub.id)

    await waitFor(() => reads >= (failFirstRead ? 2 : 1) && broker.stats().resubscriptions >= 1, { what: 'the (retried) recovery' })
    const sentinel = await channel.publish('<p>sentinel</p>')
    await client.waitFor((c) => c.lastEventId === sentinel, 'the sentinel')
    t.diagnostic(`client got: ${JSON.stringify(client.data())}`)
    const expected = ['<p>before</p>', '<p>during outage 1</p>', '<p>during outage 2</p>', ...(failFirstRead ? ['<p>during recovery</p>'] : []), '<p>sentinel</p>']
    assert.deepEqual(client.data(), expected,
      'every stored message reaches the connected page once, in order')
  })
}
