// Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native schema
// engine (it cannot be downloaded offline). It keeps Prisma's bookkeeping exactly: the same
// `_prisma_migrations` table, the same checksum (sha256 of migration.sql) and the same advisory
// lock id, so Prisma's own CLI, where it is available, sees these migrations as applied and never
// runs at the same time as this runner.
import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { projectRoot } from '../paths.js'
import type { SqlExecutor } from './sql-executor.js'

/** The lock id Prisma's schema engine takes on PostgreSQL while migrating. */
export const PRISMA_MIGRATION_LOCK_ID = 72707369
export const defaultMigrationsDir = join(projectRoot, 'prisma', 'migrations')

export interface MigrationSummary {
  /** Names of the migrations applied by this run, in order. */
  applied: string[]
  /** How many migrations were already applied before this run. */
  alreadyApplied: number
}

export interface MigrateOptions {
  migrationsDir?: string
  /** How long to wait for another process that holds the migration lock (default 60 s). */
  lockTimeoutMs?: number
  /** Called once per migration just before it is applied. */
  onApply?: (name: string) => void
}

/** A refusal or failure that names the migration and what to do about it. */
export class MigrationError extends Error {
  constructor (message: string, readonly migration?: string) {
    super(message)
    this.name = 'MigrationError'
  }
}

interface LocalMigration {
  name: string
  sqlPath: string
  sql: string
  checksum: string
  /** Checksums of the same script with other line endings (git may convert them on checkout). */
  acceptedChecksums: Set<string>
}

interface MigrationRow {
  id: string
  checksum: string
  migration_name: string
  finished_at: Date | null
  rolled_back_at: Date | null
  started_at: Date
  logs: string | null
}

// Prisma's own DDL for the history table (PostgreSQL connector of the schema engine).
const CREATE_HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

/** The migration folders (those holding a migration.sql), in name order like Prisma. */
export async function readLocalMigrations (migrationsDir: string = defaultMigrationsDir): Promise<LocalMigration[]> {
  let entries
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true })
  } catch (error) {
    throw new MigrationError(`Cannot read the migrations folder ${migrationsDir}: ${(error as Error).message}`)
  }
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
  return Promise.all(names.map(async (name) => {
    const sqlPath = join(migrationsDir, name, 'migration.sql')
    let bytes: Buffer
    try {
      bytes = await readFile(sqlPath)
    } catch {
      throw new MigrationError(`Migration folder "${name}" has no migration.sql (${sqlPath}). Add the file or remove the folder.`, name)
    }
    const text = bytes.toString('utf8')
    const lf = text.replace(/\r\n/g, '\n')
    return {
      name,
      sqlPath,
      sql: text,
      checksum: sha256(bytes),
      acceptedChecksums: new Set([sha256(bytes), sha256(lf), sha256(lf.replace(/\n/g, '\r\n'))])
    }
  }))
}

async function withMigrationLock<T> (db: SqlExecutor, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  // Polling pg_try_advisory_lock instead of blocking in pg_advisory_lock bounds the wait
  // without changing session settings such as lock_timeout.
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; ; attempt++) {
    const [row] = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PRISMA_MIGRATION_LOCK_ID])
    if (row?.locked === true) break
    if (Date.now() >= deadline) {
      throw new MigrationError(`Timed out after ${timeoutMs} ms waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATION_LOCK_ID})): ` +
        'another process is applying migrations to this database. Start again once it has finished.')
    }
    await sleep(Math.min(50 * 2 ** attempt, 500))
  }
  try {
    return await work()
  } finally {
    // If the session is broken the lock died with it; do not hide the original error.
    await db.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_ID]).catch(() => {})
  }
}

function refuseInconsistentHistory (rows: MigrationRow[], local: Map<string, LocalMigration>, migrationsDir: string): void {
  for (const row of rows) {
    if (row.rolled_back_at !== null) continue
    const name = row.migration_name
    if (row.finished_at === null) {
      throw new MigrationError(
        `Migration "${name}" was started at ${row.started_at.toISOString()} but never finished: it failed or was interrupted` +
        `${row.logs ? ` (${row.logs.trim()})` : ''}, so its changes may be partly applied. Nothing more is applied until this is resolved. ` +
        'Check the database and either undo its partial changes and run ' +
        `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = '${row.id}' (it will be applied again), ` +
        'or complete its changes by hand and run ' +
        `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = '${row.id}'. ` +
        `(With Prisma's schema engine installed: npx prisma migrate resolve --rolled-back|--applied ${name}.)`, name)
    }
    const file = local.get(name)
    if (file === undefined) {
      throw new MigrationError(
        `Migration "${name}" is applied to the database but its folder is missing from ${migrationsDir}. ` +
        'Restore the folder (for example from version control): an applied migration must never be deleted. ' +
        'If this database belongs to a newer version of the app, run that version instead.', name)
    }
    if (!file.acceptedChecksums.has(row.checksum)) {
      throw new MigrationError(
        `Migration "${name}" was edited after it was applied: ${file.sqlPath} has checksum ${file.checksum}, ` +
        `the database recorded ${row.checksum}. Restore the file to its applied content (for example git checkout) ` +
        'and put the change into a new migration folder instead.', name)
    }
  }
}

async function applyInTransaction (db: SqlExecutor, migration: LocalMigration): Promise<void> {
  await db.executeScript('BEGIN')
  try {
    await db.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)',
      [randomUUID(), migration.checksum, migration.name])
    await db.executeScript(migration.sql)
    await db.query('UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL',
      [migration.name])
    await db.executeScript('COMMIT')
  } catch (error) {
    await db.executeScript('ROLLBACK').catch(() => {})
    throw error
  }
}

// For statements PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY…): run the
// script as Prisma does, recording the attempt first so a failure part-way stays visible.
async function applyWithoutTransaction (db: SqlExecutor, migration: LocalMigration): Promise<void> {
  const id = randomUUID()
  await db.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)',
    [id, migration.checksum, migration.name])
  try {
    await db.executeScript(migration.sql)
  } catch (error) {
    await db.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, (error as Error).message]).catch(() => {})
    throw new MigrationError(
      `Migration "${migration.name}" failed part-way (it cannot run inside a transaction, so earlier statements stay applied): ` +
      `${(error as Error).message}. Fix the database and the migration, then resolve it as the next run will explain.`, migration.name)
  }
  await db.query('UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1', [id])
}

const CANNOT_RUN_IN_TRANSACTION = '25001'

async function applyMigration (db: SqlExecutor, migration: LocalMigration): Promise<void> {
  try {
    await applyInTransaction(db, migration)
  } catch (error) {
    if ((error as { code?: string }).code === CANNOT_RUN_IN_TRANSACTION) {
      return applyWithoutTransaction(db, migration)
    }
    throw new MigrationError(
      `Migration "${migration.name}" failed and was rolled back, the database is unchanged: ${(error as Error).message}. ` +
      `Fix ${migration.sqlPath} (it was never applied, so editing it is safe) and run the migrations again.`, migration.name)
  }
}

/**
 * Applies every migration folder not yet applied, in name order, each in its own transaction,
 * while holding Prisma's migration lock. A no-op when nothing is new. Refuses to touch the
 * database when its history disagrees with the folder (edited, missing or failed migrations).
 */
export async function migrate (db: SqlExecutor, options: MigrateOptions = {}): Promise<MigrationSummary> {
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir
  const local = await readLocalMigrations(migrationsDir)
  return withMigrationLock(db, options.lockTimeoutMs ?? 60_000, async () => {
    // Read the history only under the lock: another replica may have just applied something.
    await db.executeScript(CREATE_HISTORY_TABLE)
    const rows = await db.query<MigrationRow>(
      'SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at, logs FROM "_prisma_migrations" ORDER BY started_at, migration_name')
    refuseInconsistentHistory(rows, new Map(local.map((m) => [m.name, m])), migrationsDir)

    const applied = new Set(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => r.migration_name))
    const pending = local.filter((m) => !applied.has(m.name))
    for (const migration of pending) {
      options.onApply?.(migration.name)
      await applyMigration(db, migration)
    }
    return { applied: pending.map((m) => m.name), alreadyApplied: applied.size }
  })
}
