// The command-line writers announce outside writes by tag: `npm run db:seed` once after its bulk
// insert (never per row), `npm run announce -- <tag>...` on demand. Both against real Redis.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import { projectRoot } from '../../src/paths.js'
import { announcementsKey } from '../../src/live/announce/announcements.js'
import { createTestDatabase, redisPrefix, requireRedis } from '../helpers/services.js'

function runScript (script: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, REDIS_URL: '', REDIS_CLUSTER_NODES: '', ...env }
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

async function entries (redisUrl: string, prefix: string): Promise<string[]> {
  const redis = new Redis(redisUrl)
  try {
    const stream = await redis.xrange(announcementsKey(prefix), '-', '+')
    return stream.map(([, fields]) => fields.join(' '))
  } finally {
    redis.disconnect()
  }
}

test('db:seed announces one change after the bulk insert with Redis, nothing when nothing is new, and says what it cannot do without Redis', async (t) => {
  const url = await createTestDatabase(t)
  const redisUrl = await requireRedis(t)
  if (url === undefined || redisUrl === undefined) return
  const prefix = redisPrefix(t, redisUrl)
  const env = { DATABASE_URL: url, REDIS_URL: redisUrl, CHANNEL_PREFIX: prefix }

  const seeded = runScript('prisma/seed.ts', ['--count', '500'], env)
  assert.equal(seeded.status, 0, seeded.stderr)
  assert.match(seeded.stdout, /Inserted 500 contacts/)
  assert.match(seeded.stdout, new RegExp(`Announced one change \\(tags: contacts\\) as \\d+-\\d+ in ${prefix}broadcast:announcements`))
  assert.deepEqual(await entries(redisUrl, prefix), ['change {"tags":["contacts"]}'])

  const again = runScript('prisma/seed.ts', ['--count', '500'], env)
  assert.match(again.stdout, /Nothing new: no change announced/)
  assert.equal((await entries(redisUrl, prefix)).length, 1)

  const withoutRedis = runScript('prisma/seed.ts', ['--count', '501'], { DATABASE_URL: url })
  assert.equal(withoutRedis.status, 0, withoutRedis.stderr)
  assert.match(withoutRedis.stdout, /No REDIS_URL: running instances use their in-process broker, which cannot be told from here; their open pages show the new contacts on reload/)

  // Redis unreachable: the rows are in, the seed succeeds and says the pages update on reload.
  const unreachable = runScript('prisma/seed.ts', ['--count', '502'], { DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:1' })
  assert.equal(unreachable.status, 0, unreachable.stderr)
  assert.match(unreachable.stderr, /the contacts are in, but announcing the change on redis:\/\/127\.0\.0\.1:1 failed .*open pages show them on reload/)
})

test('npm run announce: tags and an optional kind and id, checked before they are sent', async (t) => {
  const redisUrl = await requireRedis(t)
  if (redisUrl === undefined) return
  const prefix = redisPrefix(t, redisUrl)
  const env = { REDIS_URL: redisUrl, CHANNEL_PREFIX: prefix }

  const ok = runScript('src/cli/announce.ts', ['contacts', 'contact:42', '--kind', 'update', '--id=42'], env)
  assert.equal(ok.status, 0, ok.stderr)
  assert.match(ok.stdout, /Announced \{"tags":\["contacts","contact:42"\],"kind":"update","id":42\} as \d+-\d+/)
  assert.deepEqual(await entries(redisUrl, prefix), ['change {"tags":["contacts","contact:42"],"kind":"update","id":42}'])

  const refusals: Array<[string[], RegExp]> = [
    [[], /At least one tag is required/],
    [['contacts', '--kind', 'drop'], /--kind "drop" is invalid: create, update or delete/],
    [['contacts', '--id', '0'], /--id "0" is invalid: a positive integer/],
    [['contacts!'], /Tag "contacts!" is invalid/],
    [['contacts', '--force'], /Unknown option "--force"/]
  ]
  for (const [bad, why] of refusals) {
    const refused = runScript('src/cli/announce.ts', bad, env)
    assert.equal(refused.status, 2, `${bad.join(' ')}: ${refused.stdout}`)
    assert.match(refused.stderr, why)
    assert.match(refused.stderr, /usage: npm run announce -- <tag>/)
  }
  const help = runScript('src/cli/announce.ts', ['--help'], env)
  assert.equal(help.status, 0)
  assert.match(help.stdout, /^usage: npm run announce -- <tag>/)
  const down = runScript('src/cli/announce.ts', ['contacts'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' })
  assert.equal(down.status, 1)
  assert.match(down.stderr, /could not be written to Redis: .*Check REDIS_URL/)
  assert.doesNotMatch(down.stderr, /in-process broker/)
  const noRedis = runScript('src/cli/announce.ts', ['contacts'], {})
  assert.equal(noRedis.status, 2)
  assert.match(noRedis.stderr, /Neither REDIS_URL nor REDIS_CLUSTER_NODES is set.*fastify\.broadcasts\.announce/)
  assert.equal((await entries(redisUrl, prefix)).length, 1)
})
