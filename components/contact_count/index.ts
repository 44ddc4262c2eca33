// contact_count: how many contacts there are, live in every open page. A write through
// fastify.contacts announces the tag "contacts"; each process then re-renders this once and
// pushes it to every page showing it (put {{component "contact_count"}} in a page).
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { sourceDirOf } from '../../src/paths.js'

export const contactCount = defineComponent({
  name: 'contact_count',
  dir: sourceDirOf(import.meta.url),
  props: Type.Object({}, { additionalProperties: false }),
  live: { tags: ['contacts'], element: 'p' },
  async data (_props, { app }) {
    const count = await app.contacts.count()
    return { count, one: count === 1 }
  }
})

export default async function (fastify: FastifyInstance) {
  fastify.components.register(contactCount)
}
