// Decorates `announcements`: with Redis, the reader of changes announced from outside the app
// (src/live/announce/announcements.ts): `XADD <CHANNEL_PREFIX>broadcast:announcements MAXLEN ~ 10000 *
// change '{"tags":["contacts"]}'` reaches every live component of those tags, published once
// across all instances. With the in-process broker there is no outside: it is null, and code in
// the process calls fastify.broadcasts.announce(tags, change).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { AnnouncementReader } from '../../src/live/announce/announcement-reader.js'
import { RedisBroker } from '../../src/live/broker/redis-broker.js'

declare module 'fastify' {
  interface FastifyInstance {
    announcements: AnnouncementReader | null
  }
}

async function announcementsPlugin (fastify: FastifyInstance) {
  const broker = fastify.broker
  if (!(broker instanceof RedisBroker)) {
    fastify.decorate('announcements', null)
    return
  }
  const { REDIS_URL, REDIS_CLUSTER_NODES, CHANNEL_PREFIX, REDIS_COMMAND_TIMEOUT_MS } = fastify.config
  const reader = await AnnouncementReader.open({
    url: REDIS_URL,
    clusterNodes: REDIS_CLUSTER_NODES?.split(','),
    prefix: CHANNEL_PREFIX,
    // The broker's name is unique per process: one consumer per instance in the shared group.
    consumer: broker.connectionName,
    connectionName: `${broker.connectionName}:announce`,
    commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    announce: (tags, change) => fastify.broadcasts.announce(tags, change),
    logger: fastify.log.child({ component: 'announcements' })
  })
  fastify.decorate('announcements', reader)
  // After broadcasts' onReady (it depends on it): every live component is known before the first read.
  fastify.addHook('onReady', async () => { reader.start() })
  fastify.addHook('onClose', async () => { await reader.close() })
}

export default fp(announcementsPlugin, { name: 'announcements', dependencies: ['config', 'broker', 'broadcasts'] })
