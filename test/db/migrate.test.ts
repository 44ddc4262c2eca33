// The offline migration runner against real PostgreSQL and PGlite: it must keep Prisma's
// bookkeeping and refuse to run over a history that disagrees with the migrations folder.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createTestDatabase } from '../helpers/services.js'
import { defaultMigrationsDir, migrate, MigrationError, PRISMA_MIGRATION_LOCK_ID, readLocalMigrations } from '../../src/db/migrate.js'
import { pgExecutor, pgliteExecutor, type SqlExecutor } from '../../src/db/sql-executor.js'
import { pgliteFixture } from './pglite-fixture.js'

const pglite = pgliteFixture()
const shipped = (await readLocalMigrations()).map((m) => m.name)

async function postgresSession (t: TestContext, url: string): Promise<SqlExecutor> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {}) // the database is dropped WITH (FORCE) after the test
  await client.connect()
  t.after(() => client.end())
  return pgExecutor(client)
}

const backends: Array<{ name: string, open: (t: TestContext) => Promise<SqlExecutor | undefined> }> = [
  {
    name: 'PostgreSQL',
    async open (t) {
      const url = await createTestDatabase(t)
      return url === undefined ? undefined : postgresSession(t, url)
    }
  },
  { name: 'PGlite', open: async (t) => pgliteExecutor(await pglite.fresh(t)) }
]

/** A private copy of prisma/migrations that a test may edit. */
async function migrationsCopy (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flc-migrations-'))
  await cp(defaultMigrationsDir, dir, { recursive: true })
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function addMigration (dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name))
  await writeFile(join(dir, name, 'migration.sql'), sql)
}

async function historyRows (db: SqlExecutor) {
  return db.query<{ id: string, checksum: string, migration_name: string, finished_at: Date | null, rolled_back_at: Date | null, logs: string | null, applied_steps_count: number }>(
    'SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name')
}

async function tableExists (db: SqlExecutor, table: string): Promise<boolean> {
  const [row] = await db.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [table])
  return row?.found != null
}

async function columnExists (db: SqlExecutor, table: string, column: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2', [table, column])
  return rows.length === 1
}

for (const backend of backends) {
  test(`${backend.name}: a fresh database gets the schema and a _prisma_migrations row like Prisma writes`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return

    const summary = await migrate(db)

    assert.deepEqual(summary, { applied: shipped, alreadyApplied: 0 })
    const columns = await db.query<{ column_name: string, data_type: string, is_nullable: string, character_maximum_length: number | null }>(
      `SELECT column_name, data_type, is_nullable, character_maximum_length FROM information_schema.columns
       WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`)
    assert.deepEqual(columns.map((c) => [c.column_name, c.data_type, c.is_nullable, c.character_maximum_length]), [
      ['id', 'character varying', 'NO', 36],
      ['checksum', 'character varying', 'NO', 64],
      ['finished_at', 'timestamp with time zone', 'YES', null],
      ['migration_name', 'character varying', 'NO', 255],
      ['logs', 'text', 'YES', null],
      ['rolled_back_at', 'timestamp with time zone', 'YES', null],
      ['started_at', 'timestamp with time zone', 'NO', null],
      ['applied_steps_count', 'integer', 'NO', null]
    ])
    const rows = await historyRows(db)
    assert.equal(rows.length, shipped.length)
    for (const [i, row] of rows.entries()) {
      const sql = await readFile(join(defaultMigrationsDir, shipped[i]!, 'migration.sql'))
      assert.equal(row.migration_name, shipped[i])
      assert.equal(row.checksum, createHash('sha256').update(sql).digest('hex'))
      assert.match(row.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.ok(row.finished_at instanceof Date)
      assert.equal(row.rolled_back_at, null)
      assert.equal(row.logs, null)
      assert.equal(row.applied_steps_count, 1)
    }
    assert.ok(await tableExists(db, 'contacts'))
    const [labels] = await db.query<{ labels: string }>(`SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) AS labels
      FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid WHERE typname = 'ContactStatus'`)
    assert.equal(labels?.labels, 'active,inactive')
    const [lock] = await db.query<{ held: string }>('SELECT count(*)::text AS held FROM pg_locks WHERE locktype = \'advisory\' AND objid = $1', [PRISMA_MIGRATION_LOCK_ID])
    assert.equal(lock?.held, '0', 'the migration lock is released afterwards')
  })

  test(`${backend.name}: running again is a no-op, and new folders are applied in name order`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    const dir = await migrationsCopy(t)
    await migrate(db, { migrationsDir: dir })

    assert.deepEqual(await migrate(db, { migrationsDir: dir }), { applied: [], alreadyApplied: shipped.length })
    assert.equal((await historyRows(db)).length, shipped.length)

    // Written in the opposite order of their names: the second depends on the first.
    await addMigration(dir, '29990102000000_add_note_index', 'CREATE INDEX "contacts_note_idx" ON "contacts"("note");\n')
    await addMigration(dir, '29990101000000_add_note', 'ALTER TABLE "contacts" ADD COLUMN "note" TEXT;\n')
    const seen: string[] = []
    const summary = await migrate(db, { migrationsDir: dir, onApply: (name) => seen.push(name) })
    assert.deepEqual(summary, { applied: ['29990101000000_add_note', '29990102000000_add_note_index'], alreadyApplied: shipped.length })
    assert.deepEqual(seen, summary.applied)
    assert.ok(await tableExists(db, 'contacts_note_idx'))
  })

  test(`${backend.name}: an applied migration whose file was edited is refused`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    const dir = await migrationsCopy(t)
    await migrate(db, { migrationsDir: dir })
    await addMigration(dir, '29990101000000_add_note', 'ALTER TABLE "contacts" ADD COLUMN "note" TEXT;\n')
    await appendFile(join(dir, shipped[0]!, 'migration.sql'), '\n-- an edit after the fact\n')

    await assert.rejects(migrate(db, { migrationsDir: dir }), (error: MigrationError) => {
      assert.ok(error instanceof MigrationError)
      assert.equal(error.migration, shipped[0])
      assert.match(error.message, new RegExp(`Migration "${shipped[0]}" was edited after it was applied`))
      assert.match(error.message, /new migration folder/)
      return true
    })
    assert.equal(await tableExists(db, 'contacts'), true)
    assert.equal((await historyRows(db)).length, shipped.length, 'nothing else was applied')
  })

  test(`${backend.name}: a line-ending-only change (git autocrlf) is not an edit`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    const dir = await migrationsCopy(t)
    await migrate(db, { migrationsDir: dir })
    const file = join(dir, shipped[0]!, 'migration.sql')
    await writeFile(file, (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'))

    assert.deepEqual(await migrate(db, { migrationsDir: dir }), { applied: [], alreadyApplied: shipped.length })
  })

  test(`${backend.name}: a migration recorded in the database but missing from the folder is refused`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    const dir = await migrationsCopy(t)
    await addMigration(dir, '29990101000000_add_note', 'ALTER TABLE "contacts" ADD COLUMN "note" TEXT;\n')
    await migrate(db, { migrationsDir: dir })
    await rm(join(dir, '29990101000000_add_note'), { recursive: true })

    await assert.rejects(migrate(db, { migrationsDir: dir }), (error: MigrationError) => {
      assert.equal(error.migration, '29990101000000_add_note')
      assert.match(error.message, /"29990101000000_add_note" is applied to the database but its folder is missing/)
      assert.match(error.message, /Restore the folder/)
      return true
    })
  })

  test(`${backend.name}: an attempt that started and never finished blocks until it is resolved`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    const dir = await migrationsCopy(t)
    await migrate(db, { migrationsDir: dir })
    await addMigration(dir, '29990101000000_add_note', 'ALTER TABLE "contacts" ADD COLUMN "note" TEXT;\n')
    // What Prisma's engine leaves behind when a migration fails, or what a crash leaves.
    await db.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs)
      VALUES ('00000000-0000-4000-8000-000000000001', 'x', '29990101000000_add_note', 'connection lost')`)

    await assert.rejects(migrate(db, { migrationsDir: dir }), (error: MigrationError) => {
      assert.equal(error.migration, '29990101000000_add_note')
      assert.match(error.message, /"29990101000000_add_note" was started at .* but never finished/)
      assert.match(error.message, /connection lost/)
      assert.match(error.message, /SET rolled_back_at = now\(\) WHERE id = '00000000-0000-4000-8000-000000000001'/)
      return true
    })
    assert.equal(await columnExists(db, 'contacts', 'note'), false, 'the blocked migration was not applied')

    // Following the message's advice unblocks it, and the migration is applied afresh.
    await db.query('UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = \'00000000-0000-4000-8000-000000000001\'')
    assert.deepEqual((await migrate(db, { migrationsDir: dir })).applied, ['29990101000000_add_note'])
    assert.equal(await columnExists(db, 'contacts', 'note'), true)
  })

  test(`${backend.name}: a failing migration is rolled back whole, recorded nowhere, and can be fixed`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    const dir = await migrationsCopy(t)
    await addMigration(dir, '29990101000000_broken', 'CREATE TABLE "first_half" (id int);\nSELECT no_such_function();\n')

    await assert.rejects(migrate(db, { migrationsDir: dir }), (error: MigrationError) => {
      assert.equal(error.migration, '29990101000000_broken')
      assert.match(error.message, /"29990101000000_broken" failed and was rolled back.*no_such_function/)
      return true
    })
    assert.equal(await tableExists(db, 'first_half'), false)
    assert.deepEqual((await historyRows(db)).map((r) => r.migration_name), shipped, 'earlier migrations stay applied')

    await writeFile(join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "first_half" (id int);\n')
    assert.deepEqual((await migrate(db, { migrationsDir: dir })).applied, ['29990101000000_broken'])
  })

  test(`${backend.name}: statements refused inside a transaction still apply`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    const dir = await migrationsCopy(t)
    await addMigration(dir, '29990101000000_concurrent_index', 'CREATE INDEX CONCURRENTLY "contacts_last_name_idx" ON "contacts"("last_name");\n')

    assert.deepEqual((await migrate(db, { migrationsDir: dir })).applied, [...shipped, '29990101000000_concurrent_index'])
    const last = (await historyRows(db)).at(-1)
    assert.equal(last?.migration_name, '29990101000000_concurrent_index')
    assert.ok(last?.finished_at instanceof Date)
    assert.equal(last?.applied_steps_count, 1)
    assert.ok(await tableExists(db, 'contacts_last_name_idx'))
  })
}

test('a migration folder without migration.sql is reported by name', async (t) => {
  const dir = await migrationsCopy(t)
  await mkdir(join(dir, '29990101000000_empty'))
  await assert.rejects(readLocalMigrations(dir), /Migration folder "29990101000000_empty" has no migration.sql/)
})

test('PostgreSQL: two runners at once apply each migration exactly once', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const [a, b] = await Promise.all([postgresSession(t, url), postgresSession(t, url)])

  const results = await Promise.all([migrate(a), migrate(b)])

  const appliers = results.filter((r) => r.applied.length > 0)
  assert.equal(appliers.length, 1, 'exactly one runner applied the migrations')
  assert.deepEqual(appliers[0]?.applied, shipped)
  assert.deepEqual(results.find((r) => r.applied.length === 0), { applied: [], alreadyApplied: shipped.length })
  assert.deepEqual((await historyRows(a)).map((r) => r.migration_name), shipped)
})

test('PostgreSQL: a runner gives up with a clear error while another process holds the lock', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const [holder, runner] = await Promise.all([postgresSession(t, url), postgresSession(t, url)])
  await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK_ID])

  await assert.rejects(migrate(runner, { lockTimeoutMs: 200 }), /Timed out after 200 ms waiting for the migration lock \(pg_advisory_lock\(72707369\)\)/)
  assert.equal(await tableExists(runner, 'contacts'), false)

  await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_ID])
  assert.deepEqual((await migrate(runner)).applied, shipped)
})
