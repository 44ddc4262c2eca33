// Signed cookies (@fastify/cookie) under SECRET_KEYS: the first key signs, all verify (rotation).
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'
import { loadSecretKeys } from '../src/security/keys.js'

async function cookiePlugin (fastify: FastifyInstance) {
  const keys = loadSecretKeys(fastify.config, fastify.log)
  await fastify.register(cookie, { secret: [...keys.secrets] })
}

export default fp(cookiePlugin, { name: 'cookie', dependencies: ['config'] })
