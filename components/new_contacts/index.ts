// new_contacts: the top of the contacts table, where contacts added since the page was
// rendered appear live, in every open page (the tag "contacts": each create prepends its row).
import { defineComponent, goneOrThrow, Type } from '#flc'

export const newContacts = defineComponent({
  name: 'new_contacts',
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

export default newContacts
