// Static files, all served from this service (no CDN): htmx 2 and its SSE extension (and idiomorph) from
// node_modules, the page's own files from src/public, and each component's declared CSS/JS.
// Component folders also hold index.ts and templates: only declared asset files are served.
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { projectRoot } from '../../src/paths.js'
import { ASSET_PREFIX, assetVersion } from '../../src/components/assets.js'

const require = createRequire(import.meta.url)
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`))
// idiomorph's exports map lists its dist files only (not package.json).
const IDIOMORPH = require.resolve('idiomorph/dist/idiomorph.min.js')

export const VENDOR_FILES: Record<string, string> = {
  'htmx.min.js': join(packageDir('htmx.org'), 'dist', 'htmx.min.js'),
  'htmx-ext-sse.min.js': join(packageDir('htmx-ext-sse'), 'dist', 'sse.min.js'),
  // Morphing swaps on htmx 2 (live-morph.js); htmx 4 morphs by itself.
  'idiomorph.min.js': IDIOMORPH
}

/** HTMX_VERSION=4: the same URLs serve htmx 4 and its own SSE extension (package alias htmx4). */
export const VENDOR_FILES_HTMX4: Record<string, string> = {
  'htmx.min.js': join(packageDir('htmx4'), 'dist', 'htmx.min.js'),
  'htmx-ext-sse.min.js': join(packageDir('htmx4'), 'dist', 'ext', 'hx-sse.min.js'),
  // The same page loads it on either htmx; live-morph.js uses htmx 4's own morph when present.
  'idiomorph.min.js': IDIOMORPH
}

async function staticPlugin (fastify: FastifyInstance) {
  const production = fastify.config.NODE_ENV === 'production'
  await fastify.register(fastifyStatic, {
    root: join(projectRoot, 'src', 'public'),
    prefix: '/static/',
    // Unversioned URLs: browsers revalidate (ETag / Last-Modified → 304), so a deploy is seen at once.
    maxAge: 0
  })

  const vendor = fastify.config.HTMX_VERSION === '4' ? VENDOR_FILES_HTMX4 : VENDOR_FILES
  for (const [file, path] of Object.entries(vendor)) {
    fastify.get(`/static/vendor/${file}`, (_request, reply) => {
      // Unversioned URL: revalidated on each use (a 304 while the package is unchanged).
      return reply.header('Cache-Control', 'no-cache')
        .sendFile(basename(path), dirname(path))
    })
  }

  // Each component's declared CSS/JS, from wherever its folder is (only declared files: the
  // folder also holds index.ts and templates).
  fastify.get<{ Params: { name: string, file: string } }>(`${ASSET_PREFIX}:name/:file`, (request, reply) => {
    const { name, file } = request.params
    const component = fastify.components.has(name) ? fastify.components.get(name) : undefined
    if (component === undefined || !(component.css.includes(file) || component.js.includes(file))) {
      return reply.callNotFound()
    }
    // A URL whose ?v= is this file's content hash never changes content: cache it for good in
    // production. Any other ?v= (an old page during a deploy, a typo) is revalidated instead.
    const versioned = production && (request.query as Record<string, unknown>).v === assetVersion(component, file)
    return reply.header('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
      .sendFile(file, component.dir, { cacheControl: false })
  })
}

export default fp(staticPlugin, { name: 'static', dependencies: ['config', 'components'] })
