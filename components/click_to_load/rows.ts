// Rows of the contacts table: the status is edited in place (PATCH /contacts/:id answers the
// updated row) and a contact is deleted (DELETE /contacts/:id answers nothing: htmx removes
// the row). Both need the page's CSRF token (hx-headers on the contacts section).
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ContactRow } from '../../src/contacts/repository.js'
import type { Component } from '../../src/components/define.js'

export const ContactIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) })
export const StatusBody = Type.Object({
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
  _csrf: Type.Optional(Type.String())
})

/** The row template (row.hbs), used by the table ({{> contact_row}}) and by these routes. */
export function rowRenderer (fastify: FastifyInstance, table: Pick<Component, 'name' | 'dir' | 'templatePath'>): (contact: ContactRow) => string {
  const render = fastify.components.template(table, 'row.hbs')
  return (contact) => render({ ...contact, active: contact.status === 'active' })
}

export async function rowRoutes (fastify: FastifyInstance, renderRow: (contact: ContactRow) => string): Promise<void> {
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
