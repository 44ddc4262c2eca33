// Presence on a private Redis Cluster (3 masters): each topic's two keys share a hash tag, so
// every script runs on one slot; topics land on different shards and count independently.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Presence, presenceMember } from '../../src/presence/presence.js'
import { presenceKeys, RedisPresenceStore } from '../../src/presence/redis-presence.js'
import { startRedisCluster } from '../helpers/redis-cluster.js'
import { waitFor } from '../helpers/wait.js'

const logger = { warn () {}, info () {}, error () {}, debug () {} }

test('presence on Redis Cluster: sessions across two instances, topics on several shards', { timeout: 120_000 }, async (t) => {
  const cluster = await startRedisCluster(t)
  if (cluster === undefined) return
  const nodes = await Promise.all([0, 1].map(async (n) => {
    const store = await RedisPresenceStore.open({ clusterNodes: cluster.urls, prefix: 'flc:', ttlMs: 30_000, connectionName: `flc-test-presence-${n}`, logger })
    const presence = new Presence({ store, ttlMs: 30_000, coalesceMs: 20, logger, onChange () {} })
    return presence
  }))
  // Closed before the cluster is stopped (its t.after ran first otherwise), in the body: a
  // failure above still closes them through the finally.
  try {
    await run(nodes as [Presence, Presence], cluster)
  } finally {
    await Promise.all(nodes.map(async (presence) => await presence.close()))
  }
})

async function run ([a, b]: [Presence, Presence], cluster: NonNullable<Awaited<ReturnType<typeof startRedisCluster>>>): Promise<void> {
  const topics = ['contacts', 'contact-1', 'contact-2', 'contact-3', 'orders']
  const slots = new Set(await Promise.all(topics.map(async (topic) => await cluster.cli(cluster.nodes[0]!.port, 'cluster', 'keyslot', presenceKeys('flc:', topic).set))))
  assert.ok(slots.size > 1, 'the topics are spread over slots')
  const leaves = topics.flatMap((topic) => [
    a.enter([topic], presenceMember('s1')),
    b.enter([topic], presenceMember('s1')),
    b.enter([topic], presenceMember('s2'))
  ])
  for (const topic of topics) await waitFor(async () => await a.count(topic) === 2, { what: `2 on ${topic}` })
  await a.refresh()
  await b.refresh()
  // s1 leaves instance b: a still holds it. Then a lets go too.
  for (let i = 1; i < leaves.length; i += 3) leaves[i]?.()
  for (const topic of topics) assert.equal(await b.count(topic), 2, `s1 still held by a on ${topic}`)
  for (let i = 0; i < leaves.length; i += 3) leaves[i]?.()
  for (const topic of topics) await waitFor(async () => await b.count(topic) === 1, { what: `only s2 on ${topic}` })
}
