// The application, as a Fastify plugin: plugins/external/ and plugins/app/ (one decorator each,
// in dependency order: src/plugin-folders.ts) first, then every
// component folder under components/ (each declares itself and its routes), then the pages.
// Only src/server.ts listens; tests register this plugin on a fresh Fastify instance.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from './config.js'
import { installErrorHandlers } from './http/errors.js'
import { closeConnectionsOnRefusal } from './http/refusals.js'
import pages from './routes/pages.js'
import { componentFoldersPlugin } from './components/load.js'
import { registerPluginFolders } from './plugin-folders.js'
import health from './routes/health.js'

export interface AppOptions {
  config: AppConfig
}

const here = dirname(fileURLToPath(import.meta.url))

export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  closeConnectionsOnRefusal(fastify)
  // Before any plugin: a route takes the error handler in force when it is added, so routes that
  // plugins add (POST /live/publish, /metrics, streams) answer and log through it too.
  installErrorHandlers(fastify)
  const plugins = join(here, '..', 'plugins')
  await registerPluginFolders(fastify, [join(plugins, 'external'), join(plugins, 'app')], { config: opts.config })

  // Every components/<name>/index module default-exports its definition (src/components/load.ts).
  await fastify.register(componentFoldersPlugin(join(here, '..', 'components')))

  await fastify.register(pages)
  await fastify.register(health)
}
