// Decorates the contacts repository, with CONTACTS_PAGE_SIZE as its default page size.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ContactsRepository } from '../src/contacts/repository.js'

declare module 'fastify' {
  interface FastifyInstance {
    contacts: ContactsRepository
  }
}

async function contactsPlugin (fastify: FastifyInstance) {
  fastify.decorate('contacts', new ContactsRepository(fastify.prisma, {
    defaultPageSize: fastify.config.CONTACTS_PAGE_SIZE,
    log: fastify.log
  }))
}

export default fp(contactsPlugin, { name: 'contacts', dependencies: ['database', 'config'] })
