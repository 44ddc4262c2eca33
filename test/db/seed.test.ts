// Demo contacts: deterministic, idempotent, count honoured; and the db:seed / db:migrate CLIs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { projectRoot } from '../../src/paths.js'
import { createTestDatabase } from '../helpers/services.js'
import { openDatabase } from '../../src/db/database.js'
import { demoContact, seedContacts } from '../../src/db/seed-contacts.js'
import { DEFAULT_SEED_COUNT, parseSeedCount, SeedCountError } from '../../src/db/seed-count.js'

test('demo contacts are deterministic, with unique emails from the row number', () => {
  assert.deepEqual(demoContact(42), demoContact(42))
  const emails = new Set(Array.from({ length: 5000 }, (_, i) => demoContact(i + 1).email))
  assert.equal(emails.size, 5000)
  const c = demoContact(7)
  assert.equal(c.email, `${c.firstName}.${c.lastName}.7@example.com`.toLowerCase())
  const statuses = Array.from({ length: 1000 }, (_, i) => demoContact(i + 1).status)
  const inactive = statuses.filter((s) => s === 'inactive').length
  assert.ok(inactive > 100 && inactive < 300, `about one in five inactive, got ${inactive}/1000`)
})

test('seed count: --count beats SEED_COUNT beats the default; bad values are refused', () => {
  assert.equal(parseSeedCount([], {}), DEFAULT_SEED_COUNT)
  assert.equal(parseSeedCount([], { SEED_COUNT: '' }), DEFAULT_SEED_COUNT)
  assert.equal(parseSeedCount([], { SEED_COUNT: '250' }), 250)
  assert.equal(parseSeedCount(['--count', '12'], { SEED_COUNT: '250' }), 12)
  assert.equal(parseSeedCount(['--count=0'], {}), 0)
  assert.equal(parseSeedCount(['--count', '1000000'], {}), 1_000_000)
  for (const bad of ['abc', '-5', '2.5', '1e6', '', ' 7', '99999999']) {
    assert.throws(() => parseSeedCount(['--count', bad], {}), SeedCountError, `--count ${JSON.stringify(bad)}`)
  }
  assert.throws(() => parseSeedCount(['--count'], {}), /--count must be a whole number from 0 to 10000000; got ""/)
  assert.throws(() => parseSeedCount([], { SEED_COUNT: 'many' }), /SEED_COUNT must be a whole number .*got "many"/)
  assert.throws(() => parseSeedCount(['--cnt', '5'], {}), /Unknown argument "--cnt"; the seed takes --count N/)
})

test('PostgreSQL: seeding inserts exactly the missing rows and is idempotent', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const db = await openDatabase({ DATABASE_URL: url, DATA_DIR: 'unused', DEMO_CONTACTS: 0 })
  t.after(() => db.close())

  const progress: number[] = []
  const first = await seedContacts(db.prisma, 25, { batchSize: 10, onProgress: (done) => progress.push(done) })
  assert.equal(first.inserted, 25)
  assert.equal(first.total, 25)
  assert.deepEqual(progress, [10, 20, 25])

  assert.deepEqual({ ...await seedContacts(db.prisma, 25, { batchSize: 10 }), elapsedMs: 0 }, { inserted: 0, total: 25, elapsedMs: 0 })
  const grown = await seedContacts(db.prisma, 30, { batchSize: 7 })
  assert.equal(grown.inserted, 5)
  assert.equal(grown.total, 30)

  const rows = await db.prisma.contact.findMany({ orderBy: { id: 'asc' } })
  assert.deepEqual(rows.map((r) => r.email), Array.from({ length: 30 }, (_, i) => demoContact(i + 1).email))
  const first3 = rows.slice(0, 3).map(({ firstName, lastName, email, status }) => ({ firstName, lastName, email, status }))
  assert.deepEqual(first3, [demoContact(1), demoContact(2), demoContact(3)])
  assert.ok(rows.some((r) => r.status === 'inactive') && rows.some((r) => r.status === 'active'))

  await assert.rejects(seedContacts(db.prisma, -1), RangeError)
})

function runScript (script: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env }
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('PostgreSQL: npm run db:migrate and db:seed work from the command line', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const env = { DATABASE_URL: url }

  const migrated = runScript('src/cli/migrate.ts', [], env)
  assert.equal(migrated.status, 0, migrated.stderr)
  assert.match(migrated.stdout, /applying \d+_init/)
  assert.match(migrated.stdout, /Applied 1 migration\(s\)/)
  assert.match(runScript('src/cli/migrate.ts', [], env).stdout, /Nothing to apply: all 1 migration\(s\) already applied/)

  const seeded = runScript('prisma/seed.ts', ['--count', '12'], env)
  assert.equal(seeded.status, 0, seeded.stderr)
  assert.match(seeded.stdout, /Inserted 12 contacts \(0 already present\); 12 contacts in total; took [\d.]+ s/)
  assert.match(runScript('prisma/seed.ts', [], { ...env, SEED_COUNT: '12' }).stdout, /Inserted 0 contacts \(12 already present\); 12 contacts in total/)

  const refused = runScript('prisma/seed.ts', ['--count', 'lots'], env)
  assert.equal(refused.status, 2)
  assert.match(refused.stderr, /--count must be a whole number from 0 to 10000000; got "lots"/)
})
