// HTML forms (application/x-www-form-urlencoded), as htmx and plain browsers post them.
import fp from 'fastify-plugin'
import formbody from '@fastify/formbody'
import type { FastifyInstance } from 'fastify'

async function formbodyPlugin (fastify: FastifyInstance) {
  await fastify.register(formbody, { bodyLimit: 16 * 1024 })
}

export default fp(formbodyPlugin, { name: 'formbody' })
