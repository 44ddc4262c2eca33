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

export type DatabaseConfig = Pick<AppConfig, 'DATABASE_URL' | 'DATA_DIR' | 'DEMO_CONTACTS'>

export interface OpenDatabaseOptions {
  migrationsDir?: string
  /** Seed DEMO_CONTACTS into a newly created embedded database (default true). */
  seedDemoContacts?: boolean
  /** Receives connection errors of idle pooled PostgreSQL clients (they must not crash the process). */
  onPoolError?: (error: Error) => void
}

/** A named read, prepared once per connection (PostgreSQL) so its plan is reused. */
export interface RawStatement {
  name: string
  text: string
  values: unknown[]
}

/**
 * Reads straight through the driver (pg pool or PGlite), bypassing Prisma's query pipeline:
 * for the few hot reads where Prisma's per-query work dominates. Writes stay on Prisma.
 */
export type RawReader = <Row>(statement: RawStatement) => Promise<Row[]>

// The raw reader of each open database, found from its Prisma client (plugins decorate only
// `prisma`; the contacts repository asks for the reader that goes with it).
const rawReaders = new WeakMap<PrismaClient, RawReader>()

/** The raw reader of the database behind this client, if it was opened by openDatabase. */
export function rawReaderOf (prisma: PrismaClient): RawReader | undefined {
  return rawReaders.get(prisma)
}

export interface Database {
  prisma: PrismaClient
  /** See RawReader. */
  raw: RawReader
  kind: 'postgres' | 'pglite'
  /** What opening did to the schema. */
  migrations: MigrationSummary
  /** Demo contacts inserted while opening (only ever for a new embedded database). */
  seededContacts: number
  /** For PGlite: whether this open created the database (ran initdb). Always false for PostgreSQL. */
  created: boolean
  openMs: number
  /** Disconnects Prisma and closes the pool or PGlite (an open PGlite keeps the process alive). */
  close(): Promise<void>
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
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
    const raw: RawReader = async <Row>({ name, text, values }: RawStatement) => (await pool.query({ name, text, values })).rows as Row[]
    rawReaders.set(prisma, raw)
    return {
      prisma,
      raw,
      kind: 'postgres',
      migrations,
      seededContacts: 0,
      created: false,
      openMs: performance.now() - started,
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
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) })
    const raw: RawReader = async <Row>({ text, values }: RawStatement) => (await db.query<Row>(text, values)).rows
    rawReaders.set(prisma, raw)
    let seededContacts = 0
    // Only a database created right now gets demo data: a user who emptied theirs keeps it empty.
    if (created && (options.seedDemoContacts ?? true) && config.DEMO_CONTACTS > 0 && await prisma.contact.count() === 0) {
      seededContacts = (await seedContacts(prisma, config.DEMO_CONTACTS)).inserted
    }
    return {
      prisma,
      raw,
      kind: 'pglite',
      migrations,
      seededContacts,
      created,
      openMs: performance.now() - started,
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

/** Opens, migrates and (for a new embedded database) seeds the database. */
export async function openDatabase (config: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  return config.DATABASE_URL !== undefined
    ? openPostgres(config.DATABASE_URL, options)
    : openEmbedded(config, options)
}
