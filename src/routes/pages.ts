// Full pages. The index page shows the click-to-load contacts table and two live feeds, the
// public notifications and this browser session's private ones, over the page's one stream.
import type { FastifyInstance } from 'fastify'

export default async function pages (fastify: FastifyInstance): Promise<void> {
  fastify.get('/', async (request, reply) => {
    const hasNotifications = fastify.components.has('notification')
    // The private feed and presence are per browser session: start one before rendering.
    const session = fastify.sessions.ensure(request, reply)
    const html = await fastify.livePages.render('index.hbs', {
      title: 'Fastify Live Components',
      hasNotifications,
      session,
      // Sets the CSRF secret cookie on a first visit; the page's forms and htmx requests send the token.
      csrfToken: reply.generateCsrf()
    }, request)
    return await reply.type('text/html; charset=utf-8').send(html)
  })
}
