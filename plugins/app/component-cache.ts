// Keeps the component render caches of all processes coherent: a local invalidation is
// published on the broker, and invalidations from other processes are applied here.
// With the in-process broker this is a loop-back that only reaches this process.
import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

export const INVALIDATION_CHANNEL = 'component-cache-invalidations'

async function componentCachePlugin (fastify: FastifyInstance) {
  const origin = randomUUID()
  const cache = fastify.components.cache

  const stopListening = cache.onInvalidate((tag) => {
    fastify.broker.publish(INVALIDATION_CHANNEL, JSON.stringify({ origin, tag }))
      .catch((error: unknown) => fastify.log.warn({ err: error, tag }, 'could not tell other processes to drop cached renders; they expire by TTL'))
  })

  const unsubscribe = await fastify.broker.subscribe(INVALIDATION_CHANNEL, ({ payload }) => {
    try {
      const message = JSON.parse(payload) as { origin?: unknown, tag?: unknown }
      if (message.origin !== origin && typeof message.tag === 'string') cache.invalidate(message.tag, false)
    } catch {
      fastify.log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed cache invalidation')
    }
  })

  fastify.addHook('onClose', async () => {
    stopListening()
    await unsubscribe()
  })
}

export default fp(componentCachePlugin, { name: 'component-cache', dependencies: ['components', 'broker'] })
