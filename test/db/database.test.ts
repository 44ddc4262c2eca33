// openDatabase from configuration: embedded PGlite in a data folder, or PostgreSQL by URL.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase } from '../helpers/services.js'
import { openDatabase } from '../../src/db/database.js'
import { readLocalMigrations } from '../../src/db/migrate.js'
import { OWNER_FILE } from '../../src/db/pglite.js'
import { projectRoot } from '../../src/paths.js'

const shipped = (await readLocalMigrations()).map((m) => m.name)

test('PGlite: a new data folder (parents created) is migrated and seeded once; reopening keeps it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'flc-pglite-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const dataDir = join(root, 'nested', 'twice', 'db')
  const config = { DATA_DIR: dataDir, DEMO_CONTACTS: 7 }

  const first = await openDatabase(config)
  try {
    assert.equal(first.kind, 'pglite')
    assert.equal(first.created, true)
    assert.deepEqual(first.migrations, { applied: shipped, alreadyApplied: 0 })
    assert.equal(first.seededContacts, 7)
    assert.equal(await first.prisma.contact.count(), 7)
    await first.prisma.contact.deleteMany({ where: { id: { gt: 5 } } })
    // Two PGlite instances on one folder corrupt it (e.g. db:seed while the server runs).
    await assert.rejects(openDatabase(config), /The embedded database in .* is already open in this process/)
    const otherProcess = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts'], {
      cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir }
    })
    assert.equal(otherProcess.status, 1)
    assert.match(otherProcess.stderr, new RegExp(`already open in process ${process.pid}\\. PGlite allows one user at a time`))
  } finally {
    await first.close()
  }
  assert.ok(existsSync(join(dataDir, 'PG_VERSION')))
  assert.equal(existsSync(join(dataDir, OWNER_FILE)), false, 'closing gives the folder back')
  // An owner file left by a crashed process (its pid no longer runs) does not block the next open.
  await writeFile(join(dataDir, OWNER_FILE), '2147483646')

  const again = await openDatabase(config)
  try {
    assert.equal(again.created, false)
    assert.deepEqual(again.migrations, { applied: [], alreadyApplied: shipped.length })
    assert.equal(again.seededContacts, 0, 'an existing database is never re-seeded')
    assert.equal(await again.prisma.contact.count(), 5)
  } finally {
    await again.close()
  }
  t.diagnostic(`PGlite open: new folder ${Math.round(first.openMs)} ms (incl. migrate + seed), existing folder ${Math.round(again.openMs)} ms`)
})

test('PostgreSQL: DATABASE_URL is migrated on open, never seeded, and a second open is a no-op', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const config = { DATABASE_URL: url, DATA_DIR: '/nonexistent/unused', DEMO_CONTACTS: 5 }

  const first = await openDatabase(config)
  try {
    assert.equal(first.kind, 'postgres')
    assert.deepEqual(first.migrations, { applied: shipped, alreadyApplied: 0 })
    assert.equal(first.seededContacts, 0)
    assert.equal(await first.prisma.contact.count(), 0)
  } finally {
    await first.close()
  }
  assert.equal(existsSync('/nonexistent/unused'), false)

  const again = await openDatabase(config)
  try {
    assert.deepEqual(again.migrations, { applied: [], alreadyApplied: shipped.length })
    await again.prisma.contact.create({ data: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } })
    assert.equal(await again.prisma.contact.count(), 1)
  } finally {
    await again.close()
  }
})

test('PostgreSQL: an unreachable server fails the open with the driver error', async () => {
  // Port 1 is never a PostgreSQL server; the pool is closed again so nothing keeps the process alive.
  await assert.rejects(openDatabase({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', DATA_DIR: 'unused', DEMO_CONTACTS: 0 }), /ECONNREFUSED/)
})
