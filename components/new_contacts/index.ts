// new_contacts: the top of the contacts table, where contacts added since the page was
// rendered appear live, in every open page (the tag "contacts": each create prepends its row).
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { sourceDirOf } from '../../src/paths.js'
import { goneOrThrow } from '../../src/contacts/errors.js'

export const newContacts = defineComponent({
  name: 'new_contacts',
  dir: sourceDirOf(import.meta.url),
  props: Type.Object({ id: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
  live: {
    tags: ['contacts'],
    swap: 'prepend',
    element: 'tbody',
    id: 'contacts-added',
    props: (change) => (change.kind === 'create' && change.id !== undefined ? { id: change.id } : undefined)
  },
  async data ({ id }, { app }) {
    // The row as it is now (it may be gone already: then nothing is added). Any other error
    // (database down) fails the render, so no update is sent rather than a wrong one.
    const contact = id === undefined ? undefined : await app.contacts.get(id).catch(goneOrThrow)
    return { contact }
  }
})

export default async function (fastify: FastifyInstance) {
  fastify.components.register(newContacts)
}
