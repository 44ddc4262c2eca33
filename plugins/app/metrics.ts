// Decorates `metrics`: the Prometheus registry (src/metrics). Times every HTTP request by
// route pattern and serves GET /metrics on the app's port to callers with METRICS_TOKEN.
// With METRICS_PORT, src/server.ts also serves it without a token on that port (keep that
// port off the public network: it is meant for the scraper only).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js'
import { databaseStats } from '../../src/db/database.js'
import { bearerGuard } from '../../src/http/bearer.js'
import { MetricsDisabledError } from '../../src/errors.js'

export const METRICS_PATH = '/metrics'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

async function metricsPlugin (fastify: FastifyInstance) {
  const metrics = createMetrics({
    live: fastify.live,
    broker: fastify.broker,
    database: () => databaseStats(fastify.prisma),
    // Read at scrape time: these plugins may register after this one, or not at all.
    broadcasts: () => (fastify.hasDecorator('broadcasts') ? fastify.broadcasts.stats() : undefined),
    announcements: () => (fastify.hasDecorator('announcements') ? fastify.announcements?.stats() : undefined),
    connections: () => (fastify.hasDecorator('connectionGuard') ? fastify.connectionGuard.stats() : undefined),
    presence: () => (fastify.hasDecorator('presence') ? fastify.presence.stats() : undefined)
  })
  fastify.decorate('metrics', metrics)

  // Synchronous (no promise per request) and allocation-free once a series exists.
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: unknown paths would each make a new series.
    const route = request.is404 ? 'unmatched' : request.routeOptions.url ?? 'unmatched'
    metrics.httpDuration.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  fastify.get(METRICS_PATH, {
    onRequest: bearerGuard({ token: () => fastify.config.METRICS_TOKEN, variable: 'METRICS_TOKEN', realm: 'metrics', disabled: () => new MetricsDisabledError() })
  }, async (_request, reply) => {
    const { contentType, body } = await metrics.scrape()
    return await reply.header('Cache-Control', 'no-store').type(contentType).send(body)
  })
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['config', 'live', 'broker', 'database'] })
