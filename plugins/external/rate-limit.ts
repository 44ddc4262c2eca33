// Decorates `rateLimits`: the per-route rate limits of @fastify/rate-limit for what can hurt the
// service when hammered: publishing and opening streams. Counted per client address (request.ip,
// see TRUST_PROXY); in Redis when REDIS_URL is set, so every instance shares the counts.
// A route opts in with `config: { rateLimit: fastify.rateLimits.streams }`.
import fp from 'fastify-plugin'
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { RedisBroker } from '../../src/live/broker/redis-broker.js'

export interface RateLimits {
  /** Opening an SSE stream: RATE_LIMIT_STREAM_OPENS_PER_MIN per address. */
  streams: RateLimitOptions
  /** Publishing over HTTP: RATE_LIMIT_PUBLISH_PER_MIN per address. */
  publish: RateLimitOptions
}

declare module 'fastify' {
  interface FastifyInstance {
    rateLimits: RateLimits
  }
}

async function rateLimitPlugin (fastify: FastifyInstance) {
  const { CHANNEL_PREFIX, RATE_LIMIT_PUBLISH_PER_MIN, RATE_LIMIT_STREAM_OPENS_PER_MIN } = fastify.config
  const broker = fastify.broker
  await fastify.register(rateLimit, {
    global: false,
    // The broker's command connection: bounded commands, no offline queue, no extra connection.
    redis: broker instanceof RedisBroker ? broker.commandConnection : undefined,
    nameSpace: `${CHANNEL_PREFIX}flc:rate-limit:`,
    // Redis down: let the request through (it then meets the real dependency's 503) rather
    // than refusing everyone because the counter is unreachable.
    skipOnError: true
  })
  fastify.decorate('rateLimits', {
    streams: { max: RATE_LIMIT_STREAM_OPENS_PER_MIN, timeWindow: 60_000 },
    publish: { max: RATE_LIMIT_PUBLISH_PER_MIN, timeWindow: 60_000 }
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['config', 'broker'] })
