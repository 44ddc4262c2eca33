// Decorates `components`: the app's component registry and renderer (src/components).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Components } from '../src/components/components.js'

export { Components }

declare module 'fastify' {
  interface FastifyInstance {
    components: Components
  }
}

async function componentsPlugin (fastify: FastifyInstance) {
  fastify.decorate('components', new Components(fastify, fastify.config.NODE_ENV !== 'production'))
}

export default fp(componentsPlugin, { name: 'components', dependencies: ['config'] })
