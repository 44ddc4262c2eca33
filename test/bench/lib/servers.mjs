// Starts the servers under test on the server core: the product ("ours") and the baselines.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, spawnPinned, stopChild, waitForPort } from './procs.mjs'

const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url))
export const SERVER_CORE = 0
export const CLIENT_CORE = 1
export const HOST = '127.0.0.1'

const SCRIPTS = {
  bare: join(SERVERS, 'bare-sse.mjs'),
  seed: join(SERVERS, 'seed-sse.mjs'),
  'bare-fastify': join(SERVERS, 'bare-fastify-html.mjs'),
  'hand-contacts': join(SERVERS, 'hand-contacts.mjs'),
  // The product's live layer with page streams (FLC_ROOT: the product root, its dist/).
  pages: join(SERVERS, 'page-streams.mjs'),
  // The whole product as src/server.ts starts it, plus GET /bench/broadcast-stats (FLC_ROOT).
  'ours-stats': join(SERVERS, 'ours-with-stats.mjs'),
  // A write reaching every page, done by hand: pg, Handlebars, Redis PUBLISH, SSE.
  'hand-broadcasts': join(SERVERS, 'hand-broadcasts.mjs')
}
// Kinds that run the product itself: started in its root, profiled with --profile.
const PRODUCT_KINDS = new Set(['ours', 'ours-stats'])

export function oursEntry (oursRoot) { return join(oursRoot, 'dist', 'src', 'server.js') }
export function oursAvailable (oursRoot) { return existsSync(oursEntry(oursRoot)) }

/**
 * Starts one server pinned to the server core and waits until it accepts connections.
 * kind: 'ours' or a key of SCRIPTS above. env is added to a minimal base env.
 */
export async function startServer (kind, { ctx, env = {}, startTimeoutMs = 60_000, profileName }) {
  const port = await freePort()
  const baseEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST,
    PORT: String(port),
    REDIS_URL: ctx.redisUrl,
    DEMO_PUBLISHER: 'off',
    // The load client is one machine with a few thousand streams per source address: lift the
    // per-address and rate limits that protect a real deployment from exactly that.
    STREAMS_PER_CLIENT: '1000000',
    RATE_LIMIT_STREAM_OPENS_PER_MIN: '10000000',
    RATE_LIMIT_PUBLISH_PER_MIN: '10000000'
  }
  const fullEnv = { ...baseEnv, ...env }
  const script = kind === 'ours' ? oursEntry(ctx.oursRoot) : SCRIPTS[kind]
  if (!script) throw new Error(`unknown server kind ${kind}`)
  // --profile: the product writes a V8 CPU profile (on its graceful exit) for each server start.
  const nodeArgs = PRODUCT_KINDS.has(kind) && ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${profileName ?? 'ours'}-${port}.cpuprofile`] : []
  const child = spawnPinned(kind, SERVER_CORE, process.execPath, [...nodeArgs, script], {
    env: fullEnv,
    cwd: PRODUCT_KINDS.has(kind) ? ctx.oursRoot : undefined,
    quiet: true
  })
  try {
    await waitForPort(port, HOST, startTimeoutMs, child)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  return {
    kind,
    port,
    pid: child.pid,
    child,
    stop: () => stopChild(child, 5000),
    stderr: () => child.stderrTail()
  }
}
