// Rows of the contacts table: the status is edited in place (PATCH /contacts/:id answers the
// updated row) and a contact is deleted (DELETE /contacts/:id answers nothing: htmx removes
// the row). Both need the page's CSRF token (hx-headers on the contacts section).
import { Type, type ComponentFiles, type ContactRow, type FastifyInstance, type TypeBoxTypeProvider } from '#flc'

export const ContactIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) })
export const StatusBody = Type.Object({
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
  _csrf: Type.Optional(Type.String())
})

/** The row template (row.hbs), used by the table ({{> contact_row}}) and by these routes. */
export function rowRenderer (fastify: FastifyInstance, table: ComponentFiles): (contact: ContactRow) => string {
  return fastify.components.template(table, 'row.hbs')
}

export async function rowRoutes (fastify: FastifyInstance, table: ComponentFiles): Promise<void> {
  const renderRow = rowRenderer(fastify, table)
  // A write through fastify.contacts drops the cached pages of the table, in every process.
  const stopListening = fastify.contacts.onChange(() => fastify.components.invalidate('contacts'))
  fastify.addHook('onClose', async () => stopListening())
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.patch('/contacts/:id', {
    onRequest: fastify.csrfProtection,
    schema: { params: ContactIdParams, body: StatusBody }
  }, async (request, reply) => {
    const contact = await fastify.contacts.update(request.params.id, { status: request.body.status })
    return await reply.type('text/html; charset=utf-8').send(renderRow(contact))
  })

  app.delete('/contacts/:id', {
    onRequest: fastify.csrfProtection,
    schema: { params: ContactIdParams }
  }, async (request, reply) => {
    await fastify.contacts.delete(request.params.id)
    // 200 with an empty body: htmx swaps the row for nothing (a 204 would leave it in place).
    return await reply.type('text/html; charset=utf-8').send('')
  })
}
