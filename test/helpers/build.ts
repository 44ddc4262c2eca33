// Test apps. build(t) registers the whole app (like src/server.ts, without listening) on a
// fresh Fastify instance, so each test gets its own registry, decorators and connections;
// it is closed when the test ends.
import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import app from '../../src/app.js'
import { loadConfig, type AppConfig } from '../../src/config.js'
import configPlugin from '../../plugins/config.js'
import componentsPlugin from '../../plugins/components.js'
import viewPlugin from '../../plugins/view.js'
import staticPlugin from '../../plugins/static.js'

/** A configuration for tests: quiet, no demo publisher, with the given overrides. */
export function testConfig (overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig({}, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO_PUBLISHER: 'off', ...overrides })
}

export async function build (t: TestContext, overrides: Partial<AppConfig> = {}): Promise<FastifyInstance> {
  const config = testConfig(overrides)
  // pluginTimeout as in src/server.ts: a new embedded database can take over 10 s on a busy machine.
  const fastify = Fastify({ logger: { level: config.LOG_LEVEL }, pluginTimeout: 120_000 })
  t.after(() => fastify.close())
  // fp() exposes the app's decorators (prisma, contacts, broker, …) to the test.
  await fastify.register(fp(app), { config })
  await fastify.ready()
  return fastify
}

/** Only the component system (config, components, view, static): no database, no broker. */
export async function buildComponentsOnly (t: TestContext, overrides: Partial<AppConfig> = {}): Promise<FastifyInstance> {
  const config = testConfig(overrides)
  const fastify = Fastify({ logger: false })
  t.after(() => fastify.close())
  await fastify.register(configPlugin, { config })
  await fastify.register(componentsPlugin)
  await fastify.register(viewPlugin)
  await fastify.register(staticPlugin)
  return fastify
}
