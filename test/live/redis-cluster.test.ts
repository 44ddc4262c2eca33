// The Redis broker on a Redis Cluster (3 masters, 3 replicas, started here from redis-server):
// sharded pub/sub, hash-tagged keys, raw PUBLISH compatibility, and a master failover during
// traffic with lost / duplicated messages counted and printed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Cluster } from 'ioredis'
import { RedisBroker } from '../../src/live/broker/redis-broker.js'
import { channelKeys } from '../../src/live/broker/redis-store.js'
import type { BrokerMessage, LiveLogger } from '../../src/live/broker/broker.js'
import { masterOf, startRedisCluster } from '../helpers/redis-cluster.js'
import { sleep, waitFor } from '../helpers/wait.js'

const quiet: LiveLogger = { debug () {}, info () {}, warn () {}, error () {} }
test('Redis Cluster: one shard per channel, sharded delivery to every process, raw PUBLISH stored once', async (t) => {
  const cluster = await startRedisCluster(t)
  if (cluster === undefined) return
  const connect = () => RedisBroker.connect({ clusterNodes: cluster.urls, prefix: 'app:', historySize: 100, logger: quiet })
  const [a, b] = await Promise.all([connect(), connect()])
  const raw = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })))
  try {
    const keys = channelKeys('app:', 'news', true)
    const slots = await Promise.all([keys.history, keys.envelope, `${keys.dedupePrefix}x`].map(async (key) => (await cluster.cli(cluster.nodes[0]!.port, 'cluster', 'keyslot', key)).trim()))
    assert.equal(new Set(slots).size, 1, `history, envelope and dedupe keys share a slot: ${slots.join(', ')}`)

    const receivedA: BrokerMessage[] = []
    const receivedB: BrokerMessage[] = []
    // Channels that land on different shards.
    for (const channel of ['news', 'sport', 'weather']) {
      await a.subscribe(channel, (m) => receivedA.push(m))
      await b.subscribe(channel, (m) => receivedB.push(m))
    }
    const ids = [await a.publish('news', 'n1'), await b.publish('sport', 's1'), await a.publish('weather', 'w1')]
    await raw.publish('app:news', 'raw-n2') // the seed's publisher: a plain PUBLISH on the channel
    await waitFor(() => receivedA.length === 4 && receivedB.length === 4, { what: 'every message in both processes', timeoutMs: 15_000, intervalMs: 100 })
    assert.deepEqual(receivedA.map((m) => m.payload).sort(), ['n1', 'raw-n2', 's1', 'w1'])
    assert.deepEqual(receivedB.map((m) => m.payload).sort(), ['n1', 'raw-n2', 's1', 'w1'])
    assert.ok(ids.every((id) => receivedA.some((m) => m.id === id)))
    const history = await b.readAfter('news', '0-0')
    assert.deepEqual(history.messages.map((m) => m.payload), ['n1', 'raw-n2'], 'the raw message was stored once, after n1')
    // The newest entry and the stream's start, read by one script on the shard of the channel.
    assert.deepEqual(await a.readLatest('news', ids[0]!), { messages: [history.messages[1]!], complete: true })
    assert.equal(a.stats().rawIngested + b.stats().rawIngested, 1)
  } finally {
    raw.disconnect()
    await Promise.all([a.close(), b.close()])
  }
})

test('Redis Cluster: a master fails over during traffic; delivery resumes, nothing is delivered twice', async (t) => {
  const cluster = await startRedisCluster(t, 1000)
  if (cluster === undefined) return
  const channel = 'ticker'
  const connect = () => RedisBroker.connect({ clusterNodes: cluster.urls, prefix: 'app:', historySize: 10_000, logger: quiet })
  const [publisher, first, second] = await Promise.all([connect(), connect(), connect()])
  try {
    const received = [new Map<number, number>(), new Map<number, number>()]
    await first.subscribe(channel, (m) => received[0]!.set(Number(m.payload), (received[0]!.get(Number(m.payload)) ?? 0) + 1))
    await second.subscribe(channel, (m) => received[1]!.set(Number(m.payload), (received[1]!.get(Number(m.payload)) ?? 0) + 1))

    const acknowledged = new Set<number>()
    let refused = 0
    let sequence = 0
    const pending = new Set<Promise<void>>()
    const publishOne = () => {
      const n = ++sequence
      const p = publisher.publish(channel, String(n)).then(() => { acknowledged.add(n) }, () => { refused++ })
      pending.add(p)
      p.finally(() => pending.delete(p)).catch(() => {})
    }
    const timer = setInterval(publishOne, 20) // 50 messages/s, not waiting for each other
    t.after(() => clearInterval(timer))

    await sleep(1000)
    const master = await masterOf(cluster, channelKeys('app:', channel, true).history)
    const node = cluster.nodes.find((n) => n.port === master)!
    const killedAt = performance.now()
    node.process.kill('SIGKILL')
    // A replica takes over the slot (cluster-node-timeout 1 s plus the election).
    await waitFor(async () => {
      try { return await masterOf(cluster, channelKeys('app:', channel, true).history) !== master } catch { return false }
    }, { what: 'a replica to be promoted', timeoutMs: 60_000, intervalMs: 100 })
    const promotedMs = performance.now() - killedAt
    // Delivery must resume: messages published from now on reach both processes.
    const resumeFrom = sequence + 1
    await waitFor(() => received.every((r) => r.has(resumeFrom + 25)), { what: 'delivery to resume after the failover', timeoutMs: 60_000, intervalMs: 100 }).catch((error: Error) => {
      throw new Error(`${error.message}: received ${received.map((r) => r.size).join(' and ')} of ${sequence} published, ${acknowledged.size} acknowledged, ${refused} refused; missing after ${resumeFrom}: ${received.map((r) => [...acknowledged].filter((n) => n >= resumeFrom && !r.has(n)).slice(0, 10).join(',')).join(' / ')}`)
    })
    const resumedMs = performance.now() - killedAt
    clearInterval(timer)
    // Bounded: a publish the cluster never answers is reported as unanswered, not awaited.
    let giveUp: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => { giveUp = setTimeout(resolve, 30_000) })])
    clearTimeout(giveUp)
    await sleep(1000)

    let lost = 0
    let duplicated = 0
    for (const r of received) {
      for (const n of acknowledged) if (!r.has(n)) lost++
      for (const count of r.values()) if (count > 1) duplicated += count - 1
    }
    const summary = `cluster failover: ${sequence} published at 50/s, ${acknowledged.size} acknowledged, ${refused} refused (publish failed: the caller knew), ` +
      `${pending.size} unanswered; across 2 subscribing processes: lost ${lost} acknowledged deliveries, duplicated ${duplicated}; ` +
      `replica promoted after ${promotedMs.toFixed(0)} ms, delivery resumed after ${resumedMs.toFixed(0)} ms; resubscriptions ${first.stats().resubscriptions}+${second.stats().resubscriptions}`
    t.diagnostic(summary)
    assert.equal(duplicated, 0, summary)
    // Acknowledged messages after the promotion are all delivered (earlier ones may have been
    // acknowledged by the old master and not yet replicated: Redis replication is asynchronous).
    for (const r of received) {
      for (const n of acknowledged) if (n >= resumeFrom) assert.ok(r.has(n), `message ${n} after the failover was delivered: ${summary}`)
    }
  } finally {
    await Promise.all([publisher.close(), first.close(), second.close()])
  }
})
