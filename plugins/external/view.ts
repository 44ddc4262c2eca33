// Page templates (src/views) through @fastify/view, on the component system's Handlebars
// instance so pages can use {{component}}. Cached in production, re-read in development.
import fp from 'fastify-plugin'
import view from '@fastify/view'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { projectRoot } from '../../src/paths.js'

export const VIEWS_DIR = join(projectRoot, 'src', 'views')

async function viewPlugin (fastify: FastifyInstance) {
  await fastify.register(view, {
    engine: { handlebars: fastify.components.handlebars },
    root: VIEWS_DIR,
    layout: undefined,
    options: { partials: { layout: 'layout.hbs' } },
    production: fastify.config.NODE_ENV === 'production'
  })
}

export default fp(viewPlugin, { name: 'view', dependencies: ['config', 'components'] })
