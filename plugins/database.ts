// Opens the database (PostgreSQL or embedded PGlite, migrated on open) and decorates its
// Prisma client. Closing the app disconnects it; an open PGlite would keep the process alive.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PrismaClient } from '../src/generated/prisma/client.js'
import { openDatabase } from '../src/db/database.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
  }
}

async function databasePlugin (fastify: FastifyInstance) {
  const database = await openDatabase(fastify.config, {
    onPoolError: (error) => fastify.log.warn({ err: error }, 'idle PostgreSQL connection failed; the pool replaces it')
  })
  fastify.log.info({
    kind: database.kind,
    created: database.created,
    migrationsApplied: database.migrations.applied,
    migrationsAlreadyApplied: database.migrations.alreadyApplied,
    seededContacts: database.seededContacts,
    openMs: Math.round(database.openMs)
  }, 'database ready')
  fastify.decorate('prisma', database.prisma)
  fastify.addHook('onClose', async () => {
    await database.close()
  })
}

export default fp(databasePlugin, { name: 'database', dependencies: ['config'] })
