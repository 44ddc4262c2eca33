// Test apps. build(t) registers the whole app (like src/server.ts, without listening) on a
// fresh Fastify instance, so each test gets its own registry, decorators and connections;
// it is closed when the test ends.
import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import app from '../../src/app.js'
import { serverOptions } from '../../src/http/server-options.js'
import { loadConfig, type AppConfig } from '../../src/config.js'
import configPlugin from '../../plugins/app/config.js'
import componentsPlugin from '../../plugins/app/components.js'
import viewPlugin from '../../plugins/external/view.js'
import staticPlugin from '../../plugins/external/static.js'
import { NoDatabaseError } from '../../src/errors.js'

/** A configuration for tests: quiet, no demo publisher, with the given overrides. */
export function testConfig (overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig({}, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO_PUBLISHER: 'off', ...overrides })
}

export async function build (t: TestContext, overrides: Partial<AppConfig> = {}): Promise<FastifyInstance> {
  const config = testConfig(overrides)
  // The server's own options (no plugin timeout, TRUST_PROXY, ...), so tests see what production does.
  const fastify = Fastify(serverOptions(config))
  t.after(() => fastify.close())
  // fp() exposes the app's decorators (prisma, contacts, broker, …) to the test.
  await fastify.register(fp(app), { config })
  await fastify.ready()
  return fastify
}

/**
 * The whole app listening on a free port on 127.0.0.1 (for real SSE sockets), with the
 * per-address stream cap lifted: every test client shares that one address.
 */
export async function buildListening (t: TestContext, overrides: Partial<AppConfig> = {}): Promise<FastifyInstance> {
  const app = await build(t, { STREAMS_PER_CLIENT: 100_000, ...overrides })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

/**
 * Only the component system (config, components, view, static): no database, no broker, unless
 * extra plugins (e.g. database and contacts) are given. Without the database, fastify.prisma and
 * fastify.contacts throw FLC_NO_DATABASE naming the helper that has it.
 */
export async function buildComponentsOnly (t: TestContext, overrides: Partial<AppConfig> = {}, extra: FastifyPluginAsync[] = []): Promise<FastifyInstance> {
  const config = testConfig(overrides)
  // No plugin timeout: the embedded database (extra) starts slowly on a loaded machine.
  const fastify = Fastify({ logger: false, pluginTimeout: 0 })
  t.after(() => fastify.close())
  await fastify.register(configPlugin, { config })
  for (const plugin of extra) await fastify.register(plugin)
  for (const name of ['prisma', 'contacts'] as const) {
    if (!fastify.hasDecorator(name)) fastify.decorate(name, { getter () { throw new NoDatabaseError(name) } })
  }
  await fastify.register(componentsPlugin)
  await fastify.register(viewPlugin)
  await fastify.register(staticPlugin)
  return fastify
}
