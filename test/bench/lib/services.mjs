// The shared services a run uses: Redis (its pid, to meter its CPU) and a throwaway
// PostgreSQL database created for the run and dropped after it (also on Ctrl-C).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { Redis } from 'ioredis'
import { onCleanup } from './procs.mjs'

export async function redisInfo (redisUrl) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 })
  redis.on('error', () => {})
  try {
    await redis.connect()
    const info = await redis.info('server')
    const clients = await redis.info('clients')
    const maxclients = Number((await redis.config('GET', 'maxclients'))[1])
    const field = (text, name) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim()
    return {
      version: field(info, 'redis_version'),
      pid: Number(field(info, 'process_id')),
      maxclients,
      connectedClients: Number(field(clients, 'connected_clients'))
    }
  } finally {
    redis.disconnect()
  }
}

/**
 * Deletes, at cleanup, every Redis key that starts with this run's prefix (the product keeps
 * message history under CHANNEL_PREFIX). Bounded: SCAN in batches, at most maxKeys keys.
 */
export function dropRedisKeysAtCleanup (redisUrl, prefix, maxKeys = 100_000) {
  if (!/^[\w.-]+$/.test(prefix)) throw new Error(`unsafe Redis key prefix ${prefix}`)
  onCleanup(async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null })
    redis.on('error', () => {})
    try {
      let cursor = '0'
      let deleted = 0
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        cursor = next
        if (keys.length > 0) deleted += await redis.del(...keys)
      } while (cursor !== '0' && deleted < maxKeys)
    } finally {
      redis.disconnect()
    }
  })
}

function withDatabase (url, database) {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** Creates an empty database, dropped at cleanup. Returns its URL. */
export async function createThrowawayDatabase (adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  onCleanup(async () => {
    const dropper = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await dropper.end()
  })
  return withDatabase(adminUrl, name)
}

export async function postgresVersion (url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    return (await client.query('SHOW server_version')).rows[0].server_version
  } catch {
    return null
  } finally {
    await client.end().catch(() => {})
  }
}

function run (command, args, { cwd, env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`))
    })
  })
}

// Fallback when the product has no seeder yet: the schema of prisma/schema.prisma and
// deterministic rows written by PostgreSQL itself (no client round trips).
const FALLBACK_SCHEMA = `
DO $$ BEGIN CREATE TYPE "ContactStatus" AS ENUM ('active', 'inactive'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE IF NOT EXISTS contacts (
  id SERIAL PRIMARY KEY,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  status "ContactStatus" NOT NULL DEFAULT 'active',
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);`

/**
 * Loads `count` contacts: through the product's own `db:seed` (which migrates first) when it
 * exists, else with the fallback schema and generate_series. Returns how it was done.
 */
export async function seedContacts (databaseUrl, count, oursRoot) {
  const started = performance.now()
  if (existsSync(join(oursRoot, 'prisma', 'seed.ts'))) {
    await run(process.execPath, ['--import', 'tsx', 'prisma/seed.ts', '--count', String(count)], {
      cwd: oursRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production' },
      timeoutMs: 15 * 60_000
    })
  } else {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      await client.query(FALLBACK_SCHEMA)
      await client.query(`INSERT INTO contacts (first_name, last_name, email, status)
        SELECT 'First' || n, 'Last' || n, 'contact' || n || '@example.com',
               (CASE WHEN n % 5 = 0 THEN 'inactive' ELSE 'active' END)::"ContactStatus"
        FROM generate_series(1, $1::int) AS n`, [count])
    } finally {
      await client.end()
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('VACUUM ANALYZE contacts')
    const rows = Number((await client.query('SELECT count(*) FROM contacts')).rows[0].count)
    return { method: existsSync(join(oursRoot, 'prisma', 'seed.ts')) ? 'npm run db:seed' : 'generate_series (fallback)', rows, seconds: (performance.now() - started) / 1000 }
  } finally {
    await client.end()
  }
}
