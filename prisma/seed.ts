// `npm run db:seed` / `prisma db seed`: ensures demo contacts 1..N exist in the configured
// database (DATABASE_URL, or the embedded one in DATA_DIR), migrating it first.
// N comes from `--count N`, else SEED_COUNT, else 100. Re-running inserts nothing new.
// Exit codes: 0 done, 1 failed, 2 bad count.
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { seedContacts } from '../src/db/seed-contacts.js'
import { parseSeedCount, SeedCountError } from '../src/db/seed-count.js'

async function main (): Promise<void> {
  const count = parseSeedCount(process.argv.slice(2), process.env)
  const database = await openDatabase(loadConfig(process.env), { seedDemoContacts: false })
  try {
    console.log(`Seeding ${count} contacts into the ${database.kind === 'postgres' ? 'PostgreSQL' : 'embedded'} database…`)
    let lastReport = performance.now()
    const result = await seedContacts(database.prisma, count, {
      onProgress (processed, of) {
        if (performance.now() - lastReport > 2000) {
          lastReport = performance.now()
          console.log(`  ${processed}/${of}`)
        }
      }
    })
    console.log(`Inserted ${result.inserted} contacts (${count - result.inserted} already present); ` +
      `${result.total} contacts in total; took ${(result.elapsedMs / 1000).toFixed(1)} s.`)
  } finally {
    await database.close()
  }
}

main().catch((error: Error) => {
  console.error(`db:seed: ${error.message}`)
  process.exitCode = error instanceof SeedCountError ? 2 : 1
})
