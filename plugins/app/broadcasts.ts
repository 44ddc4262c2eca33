// Decorates `broadcasts`: live components from data (src/live/announce/broadcasts.ts). Every live
// component (defineComponent({ live: { tags } }) or ({ live: { channel } })) gets its channel
// when the app is ready. Domains announce their own tags (plugins/app/contacts.ts: "contacts" and
// "contact:<id>"). A component's own stream route (live.stream) is registered by the loader
// (src/components/load.ts).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Broadcasts } from '../../src/live/announce/broadcasts.js'

declare module 'fastify' {
  interface FastifyInstance {
    broadcasts: Broadcasts
  }
}

async function broadcastsPlugin (fastify: FastifyInstance) {
  const broadcasts = new Broadcasts({
    live: fastify.live,
    publish: async (channel, payload) => await fastify.broker.publish(channel, payload),
    renderUpdate: async (name, props) => await fastify.components.renderBroadcast(name, props),
    template: (source, file) => fastify.components.template(fastify.components.get(source.name), file),
    families: fastify.livePages.streams,
    streamRouteConfig: { rateLimit: fastify.rateLimits.streams },
    logger: fastify.log
  })
  fastify.decorate('broadcasts', broadcasts)
  // Components are all known by onReady.
  fastify.addHook('onReady', async () => {
    for (const component of fastify.components.all()) broadcasts.add(component)
    await broadcasts.seed()
  })
  fastify.addHook('onClose', async () => broadcasts.close())
}

export default fp(broadcastsPlugin, { name: 'broadcasts', dependencies: ['components', 'live', 'live-pages', 'rate-limit', 'broker'] })
