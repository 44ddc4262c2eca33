// contact_count: how many contacts there are, live in every open page. A write through
// fastify.contacts announces the tag "contacts"; each process then re-renders this once and
// pushes it to every page showing it (put {{component "contact_count"}} in a page).
import { defineComponent, Type } from '#flc'

export const contactCount = defineComponent({
  name: 'contact_count',
  props: Type.Object({}, { additionalProperties: false }),
  live: { tags: ['contacts'], element: 'p' },
  async data (_props, { app }) {
    const count = await app.contacts.count()
    return { count, one: count === 1 }
  }
})

export default contactCount
