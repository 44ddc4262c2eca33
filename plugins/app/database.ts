// Opens the database (PostgreSQL or embedded PGlite, migrated on open) and decorates its
// Prisma client. Closing the app disconnects it; an open PGlite would keep the process alive.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PrismaClient } from '../../src/generated/prisma/client.js'
import { openDatabase } from '../../src/db/database.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
  }
}

/** How often a slow start-up step is reported (there is no plugin timeout: slow is not broken). */
export const PROGRESS_EVERY_MS = 10_000

async function databasePlugin (fastify: FastifyInstance) {
  // No timeout on opening (PGlite's initdb, migrations and seeding take long on a loaded
  // machine); each network wait has its own bound (DB_CONNECT_TIMEOUT_MS). A step that does
  // hang is named in the log every PROGRESS_EVERY_MS, with how long it has been waiting.
  const began = Date.now()
  let step = 'starting'
  const progress = setInterval(() => {
    fastify.log.warn({ plugin: 'database', waitingFor: step, waitedMs: Date.now() - began }, `start-up is still waiting for the database: ${step}`)
  }, PROGRESS_EVERY_MS).unref()
  let database
  try {
    database = await openDatabase(fastify.config, {
      onPoolError: (error) => fastify.log.warn({ err: error }, 'idle PostgreSQL connection failed; the pool replaces it'),
      onStep: (now) => { step = now }
    })
  } finally {
    clearInterval(progress)
  }
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
