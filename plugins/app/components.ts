// Decorates `components` (the app's component registry and renderer, src/components) and, as
// @fastify/view does with reply.view, `reply.fragment(component, props)`: a component sent as
// an htmx fragment with the assets the page lacks.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Static, TObject } from '@sinclair/typebox'
import { Components } from '../../src/components/components.js'
import { sendFragment, type FragmentTarget } from '../../src/components/fragment.js'

export { Components }

declare module 'fastify' {
  interface FastifyInstance {
    components: Components
  }
  interface FastifyReply {
    /** Sends the component as an htmx fragment; props failing its schema answer 400. */
    fragment: <P extends TObject>(component: FragmentTarget<P>, props?: Static<P>) => Promise<FastifyReply>
  }
}

async function componentsPlugin (fastify: FastifyInstance) {
  fastify.decorate('components', new Components(fastify, fastify.config.NODE_ENV !== 'production'))
  fastify.decorateReply('fragment', async function (this: FastifyReply, component: FragmentTarget<TObject>, props: object = {}) {
    return await sendFragment(this, component, props)
  })
}

export default fp(componentsPlugin, { name: 'components', dependencies: ['config'] })
