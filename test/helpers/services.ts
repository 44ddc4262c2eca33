// Access to the real services the suite runs against (PostgreSQL, Redis).
//
// A test that needs a service calls one of these. When the service is not reachable the test
// is skipped with a visible reason, except under CI (CI=true or REQUIRE_SERVICES=1), where a
// missing service is a failure: CI must never turn green by skipping.
import type { TestContext } from 'node:test'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { Redis } from 'ioredis'

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Under CI (CI=true or REQUIRE_SERVICES=1) a missing service or program fails the test instead of skipping it. */
export const servicesRequired = process.env.CI === 'true' || process.env.CI === '1' || process.env.REQUIRE_SERVICES === '1'

/**
 * The one place a test gives up on something it needs (a service, a program such as nginx,
 * redis-server or Chromium): skipped with the reason and how to get it, or, under CI, failed.
 * Returns undefined so callers can `return skipUnavailable(…)`.
 */
export function skipUnavailable (t: TestContext, reason: string, remedy: string): undefined {
  if (servicesRequired) throw new Error(`${reason}; CI requires it`)
  t.skip(`${reason}: ${remedy}`)
  return undefined
}

function unavailable (t: TestContext, what: string, error: unknown): undefined {
  return skipUnavailable(t, `${what} is not reachable (${(error as Error).message})`, 'start it to run this test')
}

function withDatabase (url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/**
 * Creates an empty PostgreSQL database for this test, dropped when the test ends.
 * Returns its URL, or undefined when the test was skipped.
 */
export async function createTestDatabase (t: TestContext): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch (error) {
    return unavailable(t, `PostgreSQL at ${POSTGRES_URL}`, error)
  }
  const name = `flc_test_${process.pid}_${randomBytes(4).toString('hex')}`
  await admin.query(`CREATE DATABASE "${name}"`)
  await admin.end()
  t.after(async () => {
    const dropper = new pg.Client({ connectionString: POSTGRES_URL })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await dropper.end()
  })
  return withDatabase(POSTGRES_URL, name)
}

/** Returns the Redis URL after checking Redis answers, or undefined when the test was skipped. */
export async function requireRedis (t: TestContext): Promise<string | undefined> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.ping()
    return REDIS_URL
  } catch (error) {
    return unavailable(t, `Redis at ${REDIS_URL}`, error)
  } finally {
    probe.disconnect()
  }
}

/** A name no other test (or test process) uses, for Redis channels and keys. */
export function uniqueName (prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

/** A unique CHANNEL_PREFIX for this test; its Redis keys are deleted when the test ends. */
export function redisPrefix (t: TestContext, redisUrl: string, name = 'flc_test'): string {
  const prefix = `${uniqueName(name)}:`
  t.after(() => deleteRedisKeys(redisUrl, prefix))
  return prefix
}

export async function deleteRedisKeys (redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl)
  try {
    let cursor = '0'
    for (let round = 0; round < 1000; round++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
      if (cursor === '0') break
    }
  } finally {
    redis.disconnect()
  }
}
