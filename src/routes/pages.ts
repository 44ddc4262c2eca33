// Full pages. The index page shows the contact form, the click-to-load contacts table and the
// live notifications region (rendered by their components).
import type { FastifyInstance } from 'fastify'

export default async function pages (fastify: FastifyInstance): Promise<void> {
  fastify.get('/', async (request, reply) => {
    const html = await fastify.components.renderPage('index.hbs', {
      title: 'Fastify Live Components',
      hasNotifications: fastify.components.has('notification'),
      // Sets the CSRF secret cookie on a first visit; the page's forms and htmx requests send the token.
      csrfToken: reply.generateCsrf()
    }, request)
    return await reply.type('text/html; charset=utf-8').send(html)
  })
}
