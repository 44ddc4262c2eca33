// Decorates the contacts repository, with CONTACTS_PAGE_SIZE as its default page size. The
// domain announces its own data tags: every write tells live components showing "contacts" or
// "contact:<id>" (through fastify.broadcasts, when the app has live components).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ContactsRepository } from '../../src/contacts/repository.js'
import { rawReaderOf } from '../../src/db/database.js'

declare module 'fastify' {
  interface FastifyInstance {
    contacts: ContactsRepository
  }
}

async function contactsPlugin (fastify: FastifyInstance) {
  const contacts = new ContactsRepository(fastify.prisma, {
    defaultPageSize: fastify.config.CONTACTS_PAGE_SIZE,
    log: fastify.log,
    // Pages read straight through the driver: Prisma's per-query work was most of their cost.
    raw: rawReaderOf(fastify.prisma)
  })
  fastify.decorate('contacts', contacts)
  let stopAnnouncing = () => {}
  // By onReady every plugin is registered: broadcasts may come after this plugin, or not at all.
  fastify.addHook('onReady', async () => {
    if (!fastify.hasDecorator('broadcasts')) return
    stopAnnouncing = contacts.onChange(({ kind, contact }) => {
      fastify.broadcasts.announce(['contacts', `contact:${contact.id}`], { kind, id: contact.id })
    })
  })
  fastify.addHook('onClose', async () => stopAnnouncing())
}

export default fp(contactsPlugin, { name: 'contacts', dependencies: ['database', 'config'] })
