// Decorates the validated configuration. Every other plugin depends on this one.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../src/config.js'

export interface ConfigPluginOptions {
  config: AppConfig
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
  }
}

async function configPlugin (fastify: FastifyInstance, opts: ConfigPluginOptions) {
  if (opts.config === undefined) {
    throw new Error('plugins/app/config: pass { config: loadConfig() } when registering the app')
  }
  fastify.decorate('config', opts.config)
}

export default fp(configPlugin, { name: 'config' })
