// Decorates `livePages`: one SSE stream per page for all its live components (src/live/
// page-streams.ts), with tokens signed under SECRET_KEYS. Routes: GET /live/ (the stream)
// and GET /live/token (renewal of a page's token, its channels authorized again).
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { loadSecretKeys } from '../../src/security/keys.js'
import { PageStreams } from '../../src/live/pages/page-streams.js'
import { PageChannels } from '../../src/live/pages/page-channels.js'
import type { LiveHub } from '../../src/live/channels/live-hub.js'

export const PAGE_STREAM_PATH = '/live/'
export const PAGE_TOKEN_PATH = '/live/token'

export interface LivePages {
  readonly streams: PageStreams
  /** A collector for one page render: pass it to components.renderPage, then apply(). */
  page (): PageChannels
  /**
   * Renders a page template (in the views folder) with a page stream: put {{{liveStream}}} in
   * the tag of an element around its live components; each one joins the page's one stream.
   */
  render (template: string, data: object, request: FastifyRequest): Promise<string>
}

declare module 'fastify' {
  interface FastifyInstance {
    livePages: LivePages
  }
}

const TokenQuery = Type.Object({ s: Type.String({ minLength: 1, maxLength: 16_100 }) })

async function livePagesPlugin (fastify: FastifyInstance) {
  const keys = loadSecretKeys(fastify.config, fastify.log)
  const streams = new PageStreams({ hub: fastify.live as LiveHub, keys, tokenTtlMs: fastify.config.LIVE_TOKEN_TTL_MS })
  const page = () => new PageChannels(streams, { stream: PAGE_STREAM_PATH, renew: PAGE_TOKEN_PATH }, fastify.config.HTMX_VERSION)
  fastify.decorate('livePages', {
    streams,
    page,
    async render (template, data, request) {
      // Looked up per call: page streams also serve apps without the component system.
      if (!fastify.hasDecorator('components')) throw new Error('livePages.render needs the components plugin (plugins/app/components.ts)')
      const live = page()
      return live.apply(await fastify.components.renderPage(template, { ...data, liveStream: live.marker }, request, live))
    }
  } satisfies LivePages)

  fastify.get(PAGE_STREAM_PATH, { config: { rateLimit: fastify.rateLimits.streams } }, streams.handler)
  fastify.get(PAGE_TOKEN_PATH, { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const renewed = streams.renew((request.query as { s: string }).s, request)
    return await reply.header('Cache-Control', 'no-store').send(renewed)
  })
  fastify.addHook('onClose', async () => { await streams.close() })
}

export default fp(livePagesPlugin, { name: 'live-pages', dependencies: ['config', 'live', 'rate-limit'] })
