// Cross-site request forgery protection for the app's forms (@fastify/csrf-protection): the
// secret lives in a signed, HttpOnly, SameSite=Strict cookie; pages carry the token
// (reply.generateCsrf()) and htmx sends it back as the X-CSRF-Token header (hx-headers) or a
// form field `_csrf`. Routes that change data use `onRequest: fastify.csrfProtection`.
import fp from 'fastify-plugin'
import csrf from '@fastify/csrf-protection'
import type { FastifyInstance } from 'fastify'

async function csrfPlugin (fastify: FastifyInstance) {
  await fastify.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { path: '/', signed: true, httpOnly: true, sameSite: 'strict', secure: 'auto' }
  })
}

export default fp(csrfPlugin, { name: 'csrf', dependencies: ['config', 'cookie'] })
