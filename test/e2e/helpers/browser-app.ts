// The one set-up of the browser tests: Chromium (skips visibly, fails under CI), the service
// built from the current source, a fresh PostgreSQL database seeded with `npm run db:seed` (or
// the embedded in-memory one), Redis under a prefix of its own, a production environment, the
// server processes, and the clean-up of all of it when the test ends.
import type { TestContext } from 'node:test'
import { randomBytes } from 'node:crypto'
import { createTestDatabase, deleteRedisKeys, requireRedis, uniqueName } from '../../helpers/services.js'
import { ServerProcess } from '../../helpers/server-process.js'
import { launchChromium, requireChromium, type BrowserSession } from './chromium.js'
import { buildProject, seedContacts } from './project.js'

export interface BrowserAppOptions {
  htmxVersion: '2' | '4'
  /** Contacts to seed: into a fresh PostgreSQL database, or with `database: 'memory'` DEMO_CONTACTS of the embedded one. */
  contacts: number
  /** 'postgres' (default): a throwaway PostgreSQL database; 'memory': the embedded database in memory. */
  database?: 'postgres' | 'memory'
  /** Also Redis (REDIS_URL), with a CHANNEL_PREFIX of this name's own; its keys are deleted afterwards. */
  redis?: string
  /** Names of the instances to start (default one, "server"); they share the environment. */
  instances?: string[]
  /** More environment, or overrides of the defaults (LOG_LEVEL, SSE_RETRY_MS, …). */
  env?: Record<string, string>
}

export interface BrowserApp {
  /** The origin of the first instance (http://127.0.0.1:<port>). */
  origin: string
  /** Every instance started, the first ones in `instances` order, for failure reports. */
  servers: ServerProcess[]
  /** The environment every instance runs with. */
  env: Record<string, string>
  databaseUrl: string | undefined
  redisUrl: string | undefined
  channelPrefix: string | undefined
  /** Starts one more instance with the same environment (port 0: a free one). */
  start: (name: string, port?: number) => Promise<ServerProcess>
  /** A fresh Chromium profile with one page, closed when the test ends. */
  browser: () => Promise<BrowserSession>
}

// One build per test process: every test of a file runs against the same source.
let built: Promise<void> | undefined

/** The app and browser for one test, or undefined when the test was skipped (a service or Chromium is missing). */
export async function startBrowserApp (t: TestContext, options: BrowserAppOptions): Promise<BrowserApp | undefined> {
  const chromiumPath = requireChromium(t)
  if (chromiumPath === undefined) return undefined
  const memory = options.database === 'memory'
  const databaseUrl = memory ? undefined : await createTestDatabase(t)
  if (!memory && databaseUrl === undefined) return undefined
  const redisUrl = options.redis === undefined ? undefined : await requireRedis(t)
  if (options.redis !== undefined && redisUrl === undefined) return undefined

  built ??= buildProject()
  await built
  if (databaseUrl !== undefined) await seedContacts(databaseUrl, options.contacts)
  const channelPrefix = options.redis === undefined ? undefined : `${uniqueName(options.redis)}:`
  const env: Record<string, string> = {
    ...(databaseUrl === undefined ? { DATA_DIR: 'memory://', DEMO_CONTACTS: String(options.contacts) } : { DATABASE_URL: databaseUrl }),
    ...(redisUrl === undefined || channelPrefix === undefined ? {} : { REDIS_URL: redisUrl, CHANNEL_PREFIX: channelPrefix }),
    DEMO_PUBLISHER: 'off',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // Production refuses to start without it; every instance shares it, as replicas must.
    SECRET_KEYS: randomBytes(32).toString('base64url'),
    HTMX_VERSION: options.htmxVersion,
    ...options.env
  }

  const servers: ServerProcess[] = []
  t.after(async () => {
    await Promise.all(servers.map(async (server) => await server.kill()))
    if (redisUrl !== undefined && channelPrefix !== undefined) await deleteRedisKeys(redisUrl, channelPrefix).catch(() => {})
  })
  const start = async (name: string, port = 0): Promise<ServerProcess> => {
    const server = await ServerProcess.start({ name, port, env })
    servers.push(server)
    return server
  }
  await Promise.all((options.instances ?? ['server']).map(async (name) => await start(name)))
  // Promise.all pushes in completion order: report them in the order they were asked for.
  servers.sort((a, b) => (options.instances ?? ['server']).indexOf(a.name) - (options.instances ?? ['server']).indexOf(b.name))
  return {
    origin: (servers[0] as ServerProcess).url,
    servers,
    env,
    databaseUrl,
    redisUrl,
    channelPrefix,
    start,
    browser: async () => await launchChromium(t, chromiumPath)
  }
}
