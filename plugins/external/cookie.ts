// @fastify/cookie, signing with SECRET_KEYS (an array: the first signs, all verify: rotation).
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'
import { secretKeyList } from '../../src/security/keys.js'

async function cookiePlugin (fastify: FastifyInstance) {
  await fastify.register(cookie, { secret: secretKeyList(fastify.config, fastify.log) })
}

export default fp(cookiePlugin, { name: 'cookie', dependencies: ['config'] })
