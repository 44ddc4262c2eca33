// Opens the app's database from its configuration: PostgreSQL when DATABASE_URL is set, else the
// embedded PGlite in DATA_DIR. Either way the schema is migrated before the client is handed out,
// so every replica can start at once: the migration lock makes only one of them apply anything.
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import type { PrismaPGlite } from 'pglite-prisma-adapter'
import { PrismaClient } from '../generated/prisma/client.js'
import type { AppConfig } from '../config.js'
import { migrate, type MigrationSummary } from './migrate.js'
import { seedContacts } from './seed-contacts.js'
import { pgExecutor, pgliteExecutor } from './sql-executor.js'
import { redactUrl } from '../util/redact-url.js'
import { asUnavailable } from './unavailable.js'
import { LatencyHistogram, type LatencySnapshot } from '../util/latency-histogram.js'

export type DatabaseConfig = Pick<AppConfig, 'DATABASE_URL' | 'DATA_DIR' | 'DEMO_CONTACTS'> & Partial<Pick<AppConfig, 'DB_CONNECT_TIMEOUT_MS' | 'DB_QUERY_TIMEOUT_MS'>>

export interface OpenDatabaseOptions {
  migrationsDir?: string
  /** Seed DEMO_CONTACTS into a newly created embedded database (default true). */
  seedDemoContacts?: boolean
  /** Receives connection errors of idle pooled PostgreSQL clients (they must not crash the process). */
  onPoolError?: (error: Error) => void
  /** Told what opening is doing now (for start-up progress logs: a slow step is named, not timed out). */
  onStep?: (step: string) => void
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

export interface DatabaseStats {
  kind: 'postgres' | 'pglite'
  /** Duration of each query Prisma ran, as Prisma measured it. */
  querySeconds: LatencySnapshot
  /** PostgreSQL pool: connections open, idle, and requests waiting for one (PGlite: 1, 0, 0). */
  pool: { total: number, idle: number, waiting: number, max: number }
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
  stats(): DatabaseStats
  /** Disconnects Prisma and closes the pool or PGlite (an open PGlite keeps the process alive). */
  close(): Promise<void>
}

/** Bounds of every wait on PostgreSQL (DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS). */
export const DEFAULT_DB_CONNECT_TIMEOUT_MS = 5000
export const DEFAULT_DB_QUERY_TIMEOUT_MS = 5000

/** A Prisma client whose query durations go into the histogram (Prisma's query events). */
function timedClient (adapter: PrismaPg | PrismaPGlite, queries: LatencyHistogram): PrismaClient {
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
  prisma.$on('query', (event) => queries.observe(event.duration / 1000))
  return prisma as unknown as PrismaClient
}

async function openPostgres (url: string, config: DatabaseConfig, options: OpenDatabaseOptions): Promise<Database> {
  const started = performance.now()
  const queryTimeout = config.DB_QUERY_TIMEOUT_MS ?? DEFAULT_DB_QUERY_TIMEOUT_MS
  const pool = new pg.Pool({
    connectionString: url,
    // A refused or unreachable server fails within this; so does waiting for a free pooled connection.
    connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS ?? DEFAULT_DB_CONNECT_TIMEOUT_MS,
    // query_timeout is ours (it also ends waits on a frozen server or network); statement_timeout
    // makes the server itself stop work nobody is waiting for any more.
    query_timeout: queryTimeout,
    statement_timeout: queryTimeout,
    // Dead peers are noticed by the kernel instead of holding a pooled connection forever.
    keepAlive: true
  })
  pool.on('error', options.onPoolError ?? (() => {}))
  try {
    // Migrations run on a connection of their own without the query timeouts: a legitimate
    // migration may take long (the migration lock wait has its own bound). Closed afterwards,
    // so no session state from migrating can leak into the pool.
    options.onStep?.(`connecting to PostgreSQL at ${redactUrl(url)}`)
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS ?? DEFAULT_DB_CONNECT_TIMEOUT_MS })
    client.on('error', () => {}) // reported by the failing query
    try {
      await client.connect()
    } catch (error) {
      await client.end().catch(() => {})
      throw new Error(`Cannot connect to PostgreSQL at ${redactUrl(url)} (${(error as Error).message}). Start PostgreSQL, fix DATABASE_URL, or unset DATABASE_URL to use the embedded database.`)
    }
    let migrations: MigrationSummary
    try {
      options.onStep?.('applying migrations to PostgreSQL (or waiting for the migration lock another instance holds)')
      migrations = await migrate(pgExecutor(client), { migrationsDir: options.migrationsDir })
    } finally {
      await client.end().catch(() => {})
    }
    const queries = new LatencyHistogram()
    const prisma = timedClient(new PrismaPg(pool), queries)
    // Raw reads are timed here (Prisma's query events do not see them).
    const raw: RawReader = async <Row>({ name, text, values }: RawStatement) => {
      const started = performance.now()
      try {
        return (await pool.query({ name, text, values })).rows as Row[]
      } catch (error) {
        throw asUnavailable(error)
      } finally {
        queries.since(started)
      }
    }
    rawReaders.set(prisma, raw)
    return {
      prisma,
      raw,
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
  options.onStep?.(`opening the embedded database (PGlite) in DATA_DIR=${config.DATA_DIR}`)
  // Loaded only here: with DATABASE_URL a process never needs PGlite (its WebAssembly module
  // and adapter cost a few hundred ms of start-up, which bounds rolling restarts).
  const [{ openPglite }, { PrismaPGlite }] = await Promise.all([import('./pglite.js'), import('pglite-prisma-adapter')])
  const embedded = await openPglite(config.DATA_DIR)
  const { db, created } = embedded
  try {
    options.onStep?.('applying migrations to the embedded database')
    const migrations = await migrate(pgliteExecutor(db), { migrationsDir: options.migrationsDir })
    const queries = new LatencyHistogram()
    const prisma = timedClient(new PrismaPGlite(db), queries)
    const raw: RawReader = async <Row>({ text, values }: RawStatement) => {
      const started = performance.now()
      try {
        return (await db.query<Row>(text, values)).rows
      } finally {
        queries.since(started)
      }
    }
    rawReaders.set(prisma, raw)
    let seededContacts = 0
    // Only a database created right now gets demo data: a user who emptied theirs keeps it empty.
    if (created && (options.seedDemoContacts ?? true) && config.DEMO_CONTACTS > 0 && await prisma.contact.count() === 0) {
      options.onStep?.(`seeding ${config.DEMO_CONTACTS} demo contacts (DEMO_CONTACTS)`)
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
    ? await openPostgres(config.DATABASE_URL, config, options)
    : await openEmbedded(config, options)
  databaseByClient.set(database.prisma, database)
  return database
}
