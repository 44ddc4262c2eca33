// contact_changes: edits and deletes reach every open contacts table. For each update or delete
// of a contact it renders a <template> (the row as it is now, or nothing when it is gone);
// script.js puts it in place of that contact's row wherever the table shows it.
import { defineComponent, goneOrThrow, Type } from '#flc'

export const contactChanges = defineComponent({
  name: 'contact_changes',
  props: Type.Object({ id: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
  live: {
    tags: ['contacts'],
    swap: 'append',
    props: (change) => (change.kind !== 'create' && change.id !== undefined ? { id: change.id } : undefined)
  },
  async data ({ id }, { app }) {
    // The row as it is now: an update shows it, a delete (or a row gone since) removes it. Only
    // "not found" means gone: a database error fails the render (no update is sent), or every
    // open table would remove the row.
    const contact = id === undefined ? undefined : await app.contacts.get(id).catch(goneOrThrow)
    return { id, contact }
  }
})

export default contactChanges
