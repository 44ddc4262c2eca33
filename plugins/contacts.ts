// Decorates the contacts repository, with CONTACTS_PAGE_SIZE as its default page size.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ContactsRepository } from '../src/contacts/repository.js'
import { rawReaderOf } from '../src/db/database.js'

declare module 'fastify' {
  interface FastifyInstance {
    contacts: ContactsRepository
  }
}

async function contactsPlugin (fastify: FastifyInstance) {
  fastify.decorate('contacts', new ContactsRepository(fastify.prisma, {
    defaultPageSize: fastify.config.CONTACTS_PAGE_SIZE,
    log: fastify.log,
    // Pages read straight through the driver: Prisma's per-query work was most of their cost.
    raw: rawReaderOf(fastify.prisma)
  }))
}

export default fp(contactsPlugin, { name: 'contacts', dependencies: ['database', 'config'] })
