// Plain Redis or Redis Cluster: everything the broker does differently between the two, in one
// place. Plain Redis (REDIS_URL) is the default. With a cluster (REDIS_CLUSTER_NODES):
// - each channel's keys share a hash tag, {<channel>}, so its stream, dedupe keys and envelope
//   channel live on one shard and the Lua scripts touch one slot;
// - envelopes go through sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis >= 7): a message only
//   travels inside its shard, not across the whole cluster bus;
// - raw PUBLISHes (the seed's publisher) stay ordinary pub/sub, which a cluster broadcasts.
// After a failover ioredis re-subscribes on the promoted replica and reports it
// ("subscribersReady"); the broker then reads what it missed from the stream, as it does after
// a plain Redis reconnect.
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { LiveLogger } from './broker.js'
import { openRedis, redactRedisUrl } from './redis-connection.js'

export type RedisClient = Redis | Cluster

export interface RedisTarget {
  /** REDIS_URL (plain Redis) … */
  url?: string
  /** … or REDIS_CLUSTER_NODES: seed node URLs of a cluster. */
  clusterNodes?: readonly string[]
}

export interface RedisTopology {
  /** True for a cluster: hash-tagged keys and sharded pub/sub. */
  readonly sharded: boolean
  readonly description: string
  open (options: RedisOptions, logger: LiveLogger, role: string): Promise<RedisClient>
  /** Subscribes envelope channels (one at a time in a cluster: each may be on another shard) and raw channels. */
  subscribe (subscriber: RedisClient, envelopes: string[], raws: string[]): Promise<void>
  unsubscribe (subscriber: RedisClient, envelopes: string[], raws: string[]): Promise<void>
  /** Calls handler for envelopes and raw messages alike. */
  onMessage (subscriber: RedisClient, handler: (channel: string, message: string) => void): void
  /** Calls handler when subscriptions were re-established after a reconnect or failover. */
  onResubscribed (subscriber: RedisClient, handler: () => void): void
}

const ADVICE = 'Start Redis, fix REDIS_URL / REDIS_CLUSTER_NODES, or unset them to use the in-process broker.'

function plain (url: string): RedisTopology {
  return {
    sharded: false,
    description: redactRedisUrl(url),
    open: (options, logger, role) => openRedis(url, options, logger, role),
    async subscribe (subscriber, envelopes, raws) { await subscriber.subscribe(...envelopes, ...raws) },
    async unsubscribe (subscriber, envelopes, raws) { await subscriber.unsubscribe(...envelopes, ...raws) },
    onMessage (subscriber, handler) { subscriber.on('message', handler) },
    // The broker sees the first "ready" in connect(): every later one is a reconnect.
    onResubscribed (subscriber, handler) { subscriber.on('ready', handler) }
  }
}

function cluster (urls: readonly string[]): RedisTopology {
  const nodes = urls.map((url) => {
    const u = new URL(url)
    return { host: u.hostname, port: u.port === '' ? 6379 : Number(u.port) }
  })
  const first = new URL(urls[0]!)
  const description = `cluster ${urls.map((url) => redactRedisUrl(url)).join(',')}`
  return {
    sharded: true,
    description,
    async open (options, logger, role) {
      const client = new Cluster(nodes, {
        lazyConnect: true,
        shardedSubscribers: role === 'subscriber',
        // Keep commands queued through a failover (cluster-node-timeout plus the election)
        // rather than failing them at the first refused connection.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        redisOptions: {
          disconnectTimeout: 200,
          username: first.username === '' ? undefined : decodeURIComponent(first.username),
          password: first.password === '' ? undefined : decodeURIComponent(first.password),
          tls: first.protocol === 'rediss:' ? {} : undefined,
          ...options
        }
      })
      let lastError: Error | undefined
      let outage = false
      client.on('error', (error: Error) => {
        lastError = error
        if (!outage) logger.warn({ err: error, role, cluster: description }, 'Redis Cluster connection error; reconnecting')
        outage = true
      })
      client.on('node error', (error: Error) => { lastError = error })
      client.on('ready', () => { outage = false })
      try {
        await client.connect()
      } catch (error) {
        client.disconnect()
        throw new Error(`Cannot connect to Redis Cluster at ${description} (${lastError?.message ?? (error as Error).message}). ${ADVICE}`)
      }
      return client
    },
    async subscribe (subscriber, envelopes, raws) {
      // SSUBSCRIBE channels of one call must share a slot: one call per channel.
      await Promise.all(envelopes.map((channel) => subscriber.ssubscribe(channel)))
      if (raws.length > 0) await subscriber.subscribe(...raws)
    },
    async unsubscribe (subscriber, envelopes, raws) {
      await Promise.all(envelopes.map((channel) => subscriber.sunsubscribe(channel)))
      if (raws.length > 0) await subscriber.unsubscribe(...raws)
    },
    onMessage (subscriber, handler) {
      subscriber.on('smessage', handler)
      subscriber.on('message', handler)
    },
    onResubscribed (subscriber, handler) { subscriber.on('subscribersReady', handler) }
  }
}

export function redisTopology (target: RedisTarget): RedisTopology {
  if (target.clusterNodes !== undefined && target.clusterNodes.length > 0) return cluster(target.clusterNodes)
  if (target.url === undefined) throw new TypeError('RedisBroker: url (REDIS_URL) or clusterNodes (REDIS_CLUSTER_NODES) is required')
  return plain(target.url)
}
