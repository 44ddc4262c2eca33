// POST /live/publish/<component>: feeds any channel component over HTTP, so a new channel
// component can be tried on the embedded defaults (no Redis): the JSON body is checked with the
// component's message schema and published on its channel. Safe by default: off (401 naming
// LIVE_PUBLISH_TOKEN) until that token is set, bearer-checked in constant time, rate-limited
// like POST /notifications, body bounded.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearerGuard } from '../../src/http/bearer.js'
import { MAX_MESSAGE_BYTES } from '../../src/components/message.js'
import { channelComponent, messagePayload } from '../../src/components/publish.js'

export const PUBLISH_PATH = '/live/publish/:component'

const PublishParams = Type.Object({ component: Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 100 }) })

async function livePublishPlugin (fastify: FastifyInstance) {
  fastify.withTypeProvider<TypeBoxTypeProvider>().post(PUBLISH_PATH, {
    bodyLimit: MAX_MESSAGE_BYTES,
    config: { rateLimit: fastify.rateLimits.publish },
    onRequest: bearerGuard({ token: () => fastify.config.LIVE_PUBLISH_TOKEN, variable: 'LIVE_PUBLISH_TOKEN', realm: 'live-publish' }),
    schema: { params: PublishParams }
  }, async (request, reply) => {
    const component = channelComponent(fastify.components.all(), request.params.component)
    const payload = messagePayload(component, request.body)
    const id = await fastify.broker.publish(component.live?.channel ?? '', payload)
    return await reply.code(202).send({ id, channel: component.live?.channel })
  })
}

export default fp(livePublishPlugin, { name: 'live-publish', dependencies: ['config', 'components', 'broker', 'rate-limit'] })
