// Decorates `broadcasts`: live components from data (src/live/broadcasts.ts). Every live
// component (defineComponent({ live: { tags } }) or ({ live: { channel } })) gets its channel
// when the app is ready, and every contacts write announces its tags: "contacts" and
// "contact:<id>". A component with its own stream route registers it in its plugin:
// fastify.route(fastify.broadcasts.route(component)).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Broadcasts } from '../src/live/broadcasts.js'

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
    template: (component, file) => fastify.components.template(component, file),
    families: fastify.livePages.streams,
    streamRouteConfig: { rateLimit: fastify.rateLimits.streams },
    logger: fastify.log
  })
  fastify.decorate('broadcasts', broadcasts)
  let stopListening = () => {}
  // Components (and the contacts repository, when the app has one) are all known by onReady.
  fastify.addHook('onReady', async () => {
    for (const component of fastify.components.all()) broadcasts.add(component)
    await broadcasts.seed()
    if (fastify.hasDecorator('contacts')) {
      stopListening = fastify.contacts.onChange(({ kind, contact }) => {
        broadcasts.announce(['contacts', `contact:${contact.id}`], { kind, id: contact.id })
      })
    }
  })
  fastify.addHook('onClose', async () => {
    stopListening()
    broadcasts.close()
  })
}

export default fp(broadcastsPlugin, { name: 'broadcasts', dependencies: ['components', 'live', 'live-pages', 'rate-limit', 'broker'] })
