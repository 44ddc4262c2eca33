// Opens the app's database from its configuration: PostgreSQL when DATABASE_URL is set, else the
// embedded PGlite in DATA_DIR. Either way the schema is migrated before the client is handed out,
// so every replica can start at once: the migration lock makes only one of them apply anything.
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { PrismaClient } from '../generated/prisma/client.js'
import type { AppConfig } from '../config.js'
import { migrate, type MigrationSummary } from './migrate.js'
import { openPglite } from './pglite.js'
import { seedContacts } from './seed-contacts.js'
import { pgExecutor, pgliteExecutor } from './sql-executor.js'
import { redactUrl } from '../util/redact-url.js'
import { LatencyHistogram, type LatencySnapshot } from '../util/latency-histogram.js'

export type DatabaseConfig = Pick<AppConfig, 'DATABASE_URL' | 'DATA_DIR' | 'DEMO_CONTACTS'>

export interface OpenDatabaseOptions {
  migrationsDir?: string
  /** Seed DEMO_CONTACTS into a newly created embedded database (default true). */
  seedDemoContacts?: boolean
  /** Receives connection errors of idle pooled PostgreSQL clients (they must not crash the process). */
  onPoolError?: (error: Error) => void
}

export interface DatabaseStats {
  kind: 'postgres' | 'pglite'
  /** Duration of each query Prisma ran, as Prisma measured it. */
  querySeconds: LatencySnapshot
  /** PostgreSQL pool: connections open, idle, and requests waiting for one (PGlite: 1, 0, 0). */
  pool: { total: number, idle: number, waiting: number, max: number }
}

export interface Database {
  prisma: PrismaClient
  kind: 'postgres' | 'pglite'
  /** What opening did to the schema. */
  migrations: MigrationSummary
  /** Demo contacts inserted while opening (only ever for a new embedded database). */
  seededContacts: number
  /** For PGlite: whether this open created the database (ran initdb). Always false for PostgreSQL. */
  created: boolean
  openMs: number
  stats(): DatabaseStats
  /** Disconnects Prisma and closes the pool or PGlite (an open PGlite keeps the process alive). */
  close(): Promise<void>
}

/** A Prisma client whose query durations go into the histogram (Prisma's query events). */
function timedClient (adapter: PrismaPg | PrismaPGlite, queries: LatencyHistogram): PrismaClient {
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
  prisma.$on('query', (event) => queries.observe(event.duration / 1000))
  return prisma as unknown as PrismaClient
}

async function openPostgres (url: string, options: OpenDatabaseOptions): Promise<Database> {
  const started = performance.now()
  const pool = new pg.Pool({ connectionString: url })
  pool.on('error', options.onPoolError ?? (() => {}))
  try {
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (error) {
      throw new Error(`Cannot connect to PostgreSQL at ${redactUrl(url)} (${(error as Error).message}). Start PostgreSQL, fix DATABASE_URL, or unset DATABASE_URL to use the embedded database.`)
    }
    let migrations: MigrationSummary
    try {
      migrations = await migrate(pgExecutor(client), { migrationsDir: options.migrationsDir })
    } finally {
      // Destroy rather than reuse this connection: no session state from migrating can leak.
      client.release(true)
    }
    const queries = new LatencyHistogram()
    const prisma = timedClient(new PrismaPg(pool), queries)
    return {
      prisma,
      kind: 'postgres',
      migrations,
      seededContacts: 0,
      created: false,
      openMs: performance.now() - started,
      stats: () => ({
        kind: 'postgres',
        querySeconds: queries.snapshot(),
        pool: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 }
      }),
      async close () {
        await prisma.$disconnect()
        await pool.end()
      }
    }
  } catch (error) {
    await pool.end().catch(() => {})
    throw error
  }
}

async function openEmbedded (config: DatabaseConfig, options: OpenDatabaseOptions): Promise<Database> {
  const started = performance.now()
  const embedded = await openPglite(config.DATA_DIR)
  const { db, created } = embedded
  try {
    const migrations = await migrate(pgliteExecutor(db), { migrationsDir: options.migrationsDir })
    const queries = new LatencyHistogram()
    const prisma = timedClient(new PrismaPGlite(db), queries)
    let seededContacts = 0
    // Only a database created right now gets demo data: a user who emptied theirs keeps it empty.
    if (created && (options.seedDemoContacts ?? true) && config.DEMO_CONTACTS > 0 && await prisma.contact.count() === 0) {
      seededContacts = (await seedContacts(prisma, config.DEMO_CONTACTS)).inserted
    }
    return {
      prisma,
      kind: 'pglite',
      migrations,
      seededContacts,
      created,
      openMs: performance.now() - started,
      // One embedded connection, always open.
      stats: () => ({ kind: 'pglite', querySeconds: queries.snapshot(), pool: { total: 1, idle: 0, waiting: 0, max: 1 } }),
      async close () {
        await prisma.$disconnect()
        await embedded.close()
      }
    }
  } catch (error) {
    await embedded.close().catch(() => {})
    throw error
  }
}

// The app decorates only the Prisma client; metrics find the database's stats through it.
const databaseByClient = new WeakMap<PrismaClient, Database>()

/** Stats of the database a client opened by openDatabase() belongs to. */
export function databaseStats (prisma: PrismaClient): DatabaseStats {
  const database = databaseByClient.get(prisma)
  if (database === undefined) throw new Error('databaseStats: this Prisma client was not opened by openDatabase()')
  return database.stats()
}

/** Opens, migrates and (for a new embedded database) seeds the database. */
export async function openDatabase (config: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  const database = config.DATABASE_URL !== undefined
    ? await openPostgres(config.DATABASE_URL, options)
    : await openEmbedded(config, options)
  databaseByClient.set(database.prisma, database)
  return database
}
