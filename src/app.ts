// The application, as a Fastify plugin: plugins/ (infrastructure decorators) first, then every
// component folder under components/ (each declares itself and its routes), then the pages.
// Only src/server.ts listens; tests register this plugin on a fresh Fastify instance.
import autoload from '@fastify/autoload'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from './config.js'
import { installErrorHandlers } from './http/errors.js'
import { closeConnectionsOnRefusal } from './http/refusals.js'
import pages from './routes/pages.js'
import { componentFoldersPlugin } from './components/load.js'
import health from './routes/health.js'

export interface AppOptions {
  config: AppConfig
}

const here = dirname(fileURLToPath(import.meta.url))

// Running from .ts sources means a TypeScript loader (tsx) is active; @fastify/autoload only
// detects some loaders (not `node --import tsx`), so tell it explicitly.
if (import.meta.url.endsWith('.ts')) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  closeConnectionsOnRefusal(fastify)
  await fastify.register(autoload, {
    dir: join(here, '..', 'plugins'),
    options: { config: opts.config },
    encapsulate: false,
    ignorePattern: /\.d\.ts$|\.map$/
  })

  installErrorHandlers(fastify)

  // Every components/<name>/index module default-exports its definition (src/components/load.ts).
  await fastify.register(componentFoldersPlugin(join(here, '..', 'components')))

  await fastify.register(pages)
  await fastify.register(health)
}
