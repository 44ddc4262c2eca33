// npm run db:migrate — applies prisma/migrations to DATABASE_URL, or to the embedded database in
// DATA_DIR when DATABASE_URL is unset, and prints what it did. Offline replacement for
// `prisma migrate deploy` (whose native engine cannot be downloaded here); same bookkeeping.
import pg from 'pg'
import { loadConfig } from '../config.js'
import { migrate, type MigrationSummary } from '../db/migrate.js'
import { openPglite } from '../db/pglite.js'
import { pgExecutor, pgliteExecutor } from '../db/sql-executor.js'

const onApply = (name: string) => console.log(`applying ${name}`)

async function migratePostgres (url: string): Promise<MigrationSummary> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await migrate(pgExecutor(client), { onApply })
  } finally {
    await client.end()
  }
}

async function migrateEmbedded (dataDir: string): Promise<MigrationSummary> {
  const embedded = await openPglite(dataDir)
  try {
    return await migrate(pgliteExecutor(embedded.db), { onApply })
  } finally {
    await embedded.close()
  }
}

async function main (): Promise<void> {
  const config = loadConfig(process.env)
  const target = config.DATABASE_URL !== undefined
    ? `PostgreSQL ${new URL(config.DATABASE_URL).host}${new URL(config.DATABASE_URL).pathname}`
    : `embedded database in ${config.DATA_DIR}`
  console.log(`Migrating ${target}`)
  const summary = config.DATABASE_URL !== undefined
    ? await migratePostgres(config.DATABASE_URL)
    : await migrateEmbedded(config.DATA_DIR)
  console.log(summary.applied.length === 0
    ? `Nothing to apply: all ${summary.alreadyApplied} migration(s) already applied.`
    : `Applied ${summary.applied.length} migration(s) (${summary.alreadyApplied} were already applied).`)
}

main().catch((error: Error) => {
  console.error(`db:migrate failed: ${error.message}`)
  process.exitCode = 1
})
