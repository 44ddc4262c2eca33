// Decorates `live`: declares live channels whose SSE route handlers stream rendered messages
// from the broker. Streams are ended in preClose (open streams would otherwise keep
// fastify.close() waiting), subscriptions dropped in onClose, before the broker quits.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { LiveHub, type Live } from '../../src/live/channels/live-hub.js'

declare module 'fastify' {
  interface FastifyInstance {
    live: Live
  }
}

async function livePlugin (fastify: FastifyInstance) {
  const { SSE_HEARTBEAT_MS, SSE_RETRY_MS, SSE_MAX_QUEUE_BYTES, LIVE_HISTORY_SIZE, STREAMS_PER_CLIENT, STREAMS_MAX } = fastify.config
  const hub = new LiveHub({
    broker: fastify.broker,
    logger: fastify.log.child({ component: 'live' }),
    heartbeatMs: SSE_HEARTBEAT_MS,
    retryMs: SSE_RETRY_MS,
    maxQueueBytes: SSE_MAX_QUEUE_BYTES,
    frameCacheEntries: Math.min(LIVE_HISTORY_SIZE, 10_000),
    streamsPerClient: STREAMS_PER_CLIENT,
    streamsMax: STREAMS_MAX
  })
  fastify.decorate('live', hub as Live)
  fastify.addHook('onReady', async () => { await hub.start() })
  fastify.addHook('preClose', async () => { hub.endStreams() })
  fastify.addHook('onClose', async () => { await hub.close() })
}

export default fp(livePlugin, { name: 'live', dependencies: ['config', 'broker'] })
