// Decorates `presence`: who has a page or a resource open (src/presence/). A page showing
// {{component "presence" topic="T"}} carries the channel "presence:T" in its page stream; when
// that stream opens, its browser session enters topic T, and leaves when it closes (the stream
// is the heartbeat: no client traffic). On a change of T's count an update is published on
// "presence:T" (once, coalesced): every instance with a page showing T re-renders the component
// once and pushes it. With Redis the count is shared by every instance (RedisPresenceStore);
// with the in-process broker it is this process's (MemoryPresenceStore).
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { randomBytes } from 'node:crypto'
import { PAGE_STREAM_PATH } from './live-pages.js'
import { loadSecretKeys } from '../../src/security/keys.js'
import { readPageToken } from '../../src/live/pages/page-token.js'
import { RedisBroker } from '../../src/live/broker/redis-broker.js'
import { MemoryPresenceStore, Presence, presenceChannel, presenceMember, presenceTopicOf, type PresenceStore } from '../../src/presence/presence.js'
import { RedisPresenceStore } from '../../src/presence/redis-presence.js'

declare module 'fastify' {
  interface FastifyInstance {
    presence: Presence
  }
}

async function presencePlugin (fastify: FastifyInstance) {
  const { PRESENCE_TTL_MS, REDIS_URL, REDIS_CLUSTER_NODES, CHANNEL_PREFIX, REDIS_COMMAND_TIMEOUT_MS } = fastify.config
  const logger = fastify.log.child({ component: 'presence' })
  const broker = fastify.broker
  const store: PresenceStore = broker instanceof RedisBroker
    ? await RedisPresenceStore.open({
      url: REDIS_URL,
      clusterNodes: REDIS_CLUSTER_NODES?.split(','),
      prefix: CHANNEL_PREFIX,
      ttlMs: PRESENCE_TTL_MS,
      connectionName: `${broker.connectionName}:presence`,
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
      logger
    })
    : new MemoryPresenceStore()
  const presence = new Presence({
    store,
    ttlMs: PRESENCE_TTL_MS,
    logger,
    // The component (components/presence) renders the topic's count from the store, once per instance.
    async onChange (topic) {
      await broker.publish(presenceChannel(topic), JSON.stringify({ topic })).catch((error: unknown) => {
        logger.warn({ err: error, topic }, 'a presence update could not be published; pages show it at the next change')
      })
    }
  })
  fastify.decorate('presence', presence)

  // Page stream tokens are verified again here (a MAC, cheap) so only pages we rendered count.
  const keys = loadSecretKeys(fastify.config, fastify.log)
  fastify.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'GET' || request.routeOptions.url !== PAGE_STREAM_PATH) return
    const check = readPageToken(keys, (request.query as Record<string, unknown> | null)?.s, Date.now())
    if (!check.ok) return
    const topics = check.grant.channels.map(presenceTopicOf).filter((topic) => topic !== undefined)
    if (topics.length === 0) return
    // Tabs of one browser share its session cookie: one member. Without a session (cookies
    // off) each stream is its own visitor.
    const session = fastify.sessions.current(request)
    const member = presenceMember(session ?? `stream:${randomBytes(12).toString('base64url')}`)
    const leave = presence.enter(topics, member)
    // 'close' comes for every end: the browser leaving, an eviction, a refusal, a shutdown.
    reply.raw.once('close', leave)
  })

  fastify.addHook('onReady', async () => { presence.start() })
  // Before the broker closes (onClose runs in reverse order): the last leaves are still published.
  fastify.addHook('onClose', async () => { await presence.close() })
}

export default fp(presencePlugin, { name: 'presence', dependencies: ['config', 'broker', 'live-pages', 'session'] })
