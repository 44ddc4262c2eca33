// `npm run db:seed` / `prisma db seed`: ensures demo contacts 1..N exist in the configured
// database (DATABASE_URL, or the embedded one in DATA_DIR), migrating it first.
// N comes from `--count N`, else SEED_COUNT, else 100. Re-running inserts nothing new.
// Rows it inserted are announced once afterwards (tags ["contacts"]) when the app uses Redis:
// open pages update once (count, tables), never once per row. A failed announcement does not
// fail the seed (the rows are in; pages show them on reload).
// Exit codes: 0 done, 1 failed, 2 bad count.
import { loadConfig, type AppConfig } from '../src/config.js'
import { announceOnce, announcementsKey } from '../src/live/announce/announcements.js'
import { redactRedisUrl } from '../src/live/broker/redis-connection.js'
import { openDatabase } from '../src/db/database.js'
import { seedContacts } from '../src/db/seed-contacts.js'
import { parseSeedCount, SeedCountError } from '../src/db/seed-count.js'

const quiet = { debug () {}, info () {}, warn () {}, error () {} }

/** One announcement for the whole seed, so running instances update their pages once. */
async function announceSeed (config: AppConfig, inserted: number): Promise<void> {
  const clusterNodes = config.REDIS_CLUSTER_NODES?.split(',')
  if (config.REDIS_URL === undefined && clusterNodes === undefined) {
    console.log('No REDIS_URL: running instances use their in-process broker, which cannot be told from here; ' +
      'their open pages show the new contacts on reload.')
    return
  }
  if (inserted === 0) {
    console.log('Nothing new: no change announced.')
    return
  }
  const where = config.REDIS_URL === undefined ? 'the Redis Cluster' : redactRedisUrl(config.REDIS_URL)
  try {
    const id = await announceOnce({ url: config.REDIS_URL, clusterNodes }, config.CHANNEL_PREFIX, { tags: ['contacts'] }, quiet)
    console.log(`Announced one change (tags: contacts) as ${id} in ${announcementsKey(config.CHANNEL_PREFIX)} on ${where}: open pages update once.`)
  } catch (error) {
    console.error(`db:seed: the contacts are in, but announcing the change on ${where} failed (${(error as Error).message}); open pages show them on reload.`)
  }
}

async function main (): Promise<void> {
  const count = parseSeedCount(process.argv.slice(2), process.env)
  const config = loadConfig(process.env)
  const database = await openDatabase(config, { seedDemoContacts: false })
  let inserted = 0
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
    inserted = result.inserted
  } finally {
    await database.close()
  }
  await announceSeed(config, inserted)
}

main().catch((error: Error) => {
  console.error(`db:seed: ${error.message}`)
  process.exitCode = error instanceof SeedCountError ? 2 : 1
})
