#!/usr/bin/env node
// `npm run bench [-- <scenario>...] [--quick] [options]`: the benchmark suite.
// Scenarios: fanout, idle, route, pagination, pages, scale, channels, tabs, broadcasts, pagestream (default: all, in that order).
// Each measures the product ("ours") against its baselines in the same run, with the server
// pinned to core 0 and the load client to core 1, then prints tables and writes
// test/bench/results/latest.json and latest.md.
//
// Options:
//   --quick               small sizes and short phases (a smoke run, minutes not tens of them)
//   --no-build            do not run `npm run build` first (use the existing dist/)
//   --ours-root DIR       project root to run the product from (default: this repository)
//   --baselines-only      skip the product: measure only the baselines
//   --servers LIST        fanout and idle: only these servers, comma-separated: ours, bare, seed
//   --client-workers N    load-client processes per run (default: one per 5,000 connections)
//   --fanout-clients LIST client counts for fanout, comma-separated (default 1,1000,10000)
//   --broadcast-pages N   broadcasts: open pages (default 1,000; quick 200)
//   --broadcast-writes N  broadcasts: measured writes per cell (default 20; quick 10)
//   --broadcast-processes LIST  broadcasts: instance counts, comma-separated (default 1,2)
//   --idle-connections N  connections the idle scenario opens (default 19,000; quick 1,000)
//   --out NAME            results/<NAME>.json and .md instead of latest
//   --profile             the product runs with --cpu-prof: results/profiles/<scenario>-<port>.cpuprofile
//   --report FILE         no run: print the tables of an earlier results JSON and rewrite its .md
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanupAll, hasTaskset, installSignalCleanup, onCleanup, openFilesLimit, pinSelf } from './lib/procs.mjs'
import { CLIENT_CORE, oursAvailable } from './lib/servers.mjs'
import { createThrowawayDatabase, dropRedisKeysAtCleanup, postgresVersion, redisInfo, seedContacts } from './lib/services.mjs'
import { machine, table } from './lib/report.mjs'
import { summarize } from './lib/summary.mjs'
import { fanout } from './scenarios/fanout.mjs'
import { idle } from './scenarios/idle.mjs'
import { route } from './scenarios/route.mjs'
import { pagination, paginationPlan } from './scenarios/pagination.mjs'
import { pages } from './scenarios/pages.mjs'
import { scale } from './scenarios/scale.mjs'
import { channels } from './scenarios/channels.mjs'
import { tabs } from './scenarios/tabs.mjs'
import { broadcasts } from './scenarios/broadcasts.mjs'
import { pagestream } from './scenarios/pagestream.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const PROJECT_ROOT = resolve(HERE, '..', '..')
const SCENARIOS = { fanout, idle, route, pagination, pages, scale, channels, tabs, broadcasts, pagestream }

function parseArgs (argv) {
  const args = { scenarios: [], quick: false, build: true, oursRoot: PROJECT_ROOT, baselinesOnly: false, clientWorkers: undefined, idleConnections: undefined, fanoutClients: undefined, broadcastPages: undefined, broadcastWrites: undefined, broadcastProcesses: undefined, profile: false, servers: null, out: 'latest', report: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--quick') args.quick = true
    else if (a === '--no-build') args.build = false
    else if (a === '--profile') args.profile = true
    else if (a === '--servers') args.servers = value().split(',')
    else if (a === '--ours-root') args.oursRoot = resolve(value())
    else if (a === '--baselines-only') args.baselinesOnly = true
    else if (a === '--client-workers') args.clientWorkers = Number(value())
    else if (a === '--out') args.out = value()
    else if (a === '--report') args.report = resolve(value())
    else if (a === '--idle-connections') args.idleConnections = Number(value())
    else if (a === '--fanout-clients') args.fanoutClients = value().split(',').map(Number)
    else if (a === '--broadcast-pages') args.broadcastPages = Number(value())
    else if (a === '--broadcast-writes') args.broadcastWrites = Number(value())
    else if (a === '--broadcast-processes') args.broadcastProcesses = value().split(',').map(Number)
    else if (a in SCENARIOS) args.scenarios.push(a)
    else throw new Error(`unknown argument ${a}; scenarios: ${Object.keys(SCENARIOS).join(', ')}; see the header of test/bench/run.mjs`)
  }
  if (args.scenarios.length === 0) args.scenarios = Object.keys(SCENARIOS)
  if (args.clientWorkers !== undefined && !(Number.isInteger(args.clientWorkers) && args.clientWorkers > 0)) throw new Error('--client-workers needs a positive integer')
  if (args.idleConnections !== undefined && !(Number.isInteger(args.idleConnections) && args.idleConnections > 0)) throw new Error('--idle-connections needs a positive integer')
  if (args.servers && !args.servers.every((k) => ['ours', 'bare', 'seed'].includes(k))) throw new Error('--servers takes ours, bare, seed')
  if (args.fanoutClients && !args.fanoutClients.every((n) => Number.isInteger(n) && n > 0 && n <= 100_000)) throw new Error('--fanout-clients needs positive integers, e.g. 1,1000,10000')
  const positive = (n, max) => Number.isInteger(n) && n > 0 && n <= max
  if (args.broadcastPages !== undefined && !(args.broadcastPages === 0 || positive(args.broadcastPages, 100_000))) throw new Error('--broadcast-pages needs a whole number (0: no page open, the CPU of a write nobody watches)')
  if (args.broadcastWrites !== undefined && !positive(args.broadcastWrites, 100_000)) throw new Error('--broadcast-writes needs a positive integer')
  if (args.broadcastProcesses && !args.broadcastProcesses.every((n) => positive(n, 16))) throw new Error('--broadcast-processes needs integers from 1 to 16, e.g. 1,2')
  if (!/^[\w.-]+$/.test(args.out)) throw new Error('--out needs a plain file name')
  return args
}

function log (line) { process.stdout.write(`${line}\n`) }

async function main () {
  const args = parseArgs(process.argv.slice(2))
  if (args.report) {
    const record = JSON.parse(readFileSync(args.report, 'utf8'), (_k, v) => (v === 'Infinity' ? Infinity : v))
    output(record, args.report.replace(/\.json$/, ''))
    return
  }
  installSignalCleanup()
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
  const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

  if (!hasTaskset) log('WARNING: taskset not found: server and load client are NOT pinned to separate cores')
  if (os.cpus().length < 2) log('WARNING: fewer than 2 cores: server and client share a core')
  const limits = openFilesLimit()
  log(`open files: soft ${limits.soft}, hard ${limits.hard} (children raise soft to hard)`)

  let hasOurs = false
  if (!args.baselinesOnly) {
    if (args.build) {
      log(`building the product in ${args.oursRoot} (npm run build)...`)
      const build = spawnSync('npm', ['run', 'build'], { cwd: args.oursRoot, encoding: 'utf8' })
      if (build.status !== 0) log(`WARNING: build failed, the product is left out:\n${(build.stdout + build.stderr).slice(-3000)}`)
    }
    hasOurs = oursAvailable(args.oursRoot)
    if (!hasOurs) log(`WARNING: ${args.oursRoot}/dist/src/server.js not found: measuring the baselines only`)
  }

  const redis = await redisInfo(redisUrl)
  const runId = `flcb${Date.now().toString(36)}`
  const tmpDir = mkdtempSync(join(os.tmpdir(), 'flc-bench-'))
  onCleanup(() => rmSync(tmpDir, { recursive: true, force: true }))
  dropRedisKeysAtCleanup(redisUrl, `${runId}_`) // every server of the run gets a CHANNEL_PREFIX under it
  pinSelf(CLIENT_CORE) // the orchestrator publishes and drives the client: keep it off the server core

  let databaseUrl = null
  let seeded = null
  const ctx = {
    quick: args.quick,
    runId,
    redisUrl,
    postgresUrl,
    redis,
    oursRoot: args.oursRoot,
    hasOurs,
    tmpDir,
    clientWorkers: args.clientWorkers,
    idleConnections: args.idleConnections,
    fanoutClients: args.fanoutClients,
    broadcastPages: args.broadcastPages,
    broadcastWrites: args.broadcastWrites,
    broadcastProcesses: args.broadcastProcesses,
    profileDir: args.profile ? join(HERE, 'results', 'profiles') : null,
    openFilesLimit: limits.hard,
    log,
    kinds: (list) => list.filter((k) => (k !== 'ours' || hasOurs) && (!args.servers || args.servers.includes(k))),
    // The product always gets a real PostgreSQL database of its own for the run.
    // SECRET_KEYS: the product refuses to start in production without it.
    oursEnv: () => ({ DATABASE_URL: databaseUrl, DATA_DIR: join(tmpDir, 'data'), SECRET_KEYS: `bench-${runId}-${'k'.repeat(32)}` }),
    async seededDatabase () {
      if (!seeded) {
        const rows = paginationPlan(args.quick).rows
        log(`  seeding ${rows} contacts into ${runId}...`)
        seeded = await seedContacts(databaseUrl, rows, args.oursRoot)
        ctx.seedInfo = seeded
        log(`  seeded ${seeded.rows} rows with ${seeded.method} in ${seeded.seconds.toFixed(1)} s`)
      }
      return databaseUrl
    }
  }
  if (args.scenarios.some((s) => s === 'pagination' || s === 'route') || hasOurs) {
    databaseUrl = await createThrowawayDatabase(postgresUrl, `flc_bench_${runId}`)
  }

  const results = {}
  const started = Date.now()
  for (const name of args.scenarios) {
    log(`\n== ${name}${args.quick ? ' (quick)' : ''}`)
    const t0 = Date.now()
    try {
      results[name] = await SCENARIOS[name](ctx)
    } catch (error) {
      results[name] = { error: error.stack }
      log(`  ${name} failed: ${error.stack}`)
    }
    log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  }

  const env = {
    ...machine(),
    redis: redis.version,
    postgres: await postgresVersion(postgresUrl),
    pinning: hasTaskset ? 'server on core 0, load client and publisher on core 1 (taskset); Redis and PostgreSQL unpinned' : 'none (taskset missing)'
  }
  const record = { machine: env, options: { ...args, oursRoot: undefined }, hasOurs, seconds: (Date.now() - started) / 1000, results }
  const outDir = join(HERE, 'results')
  mkdirSync(outDir, { recursive: true })
  output(record, join(outDir, args.out))
}

/** Prints the tables of a run record and writes <base>.json and <base>.md. */
function output (record, base) {
  const { machine: env, options, results } = record
  const usable = Object.fromEntries(Object.entries(results).filter(([, r]) => !r.error))
  const summary = summarize(usable)
  record.summary = { targets: summary.targets, checks: summary.checks }
  const machineLine = `${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, ${env.kernel}, Node ${env.node}, Redis ${env.redis}, PostgreSQL ${env.postgres}; ${env.pinning}; ${options.quick ? 'QUICK run (small sizes)' : 'full run'}; ${env.date}${env.gitCommit ? `, commit ${env.gitCommit}` : ''}`

  log('')
  for (const t of summary.tables) log(`${t.title}\n${table(t.rows)}\n`)
  if (summary.checks.length) log(`Validity notes:\n${summary.checks.map((c) => `- ${c}`).join('\n')}\n`)
  for (const [name, r] of Object.entries(results)) if (r.error) log(`Scenario ${name} failed: ${r.error.split('\n')[0]}`)
  log(`Machine: ${machineLine}`)

  writeFileSync(`${base}.json`, JSON.stringify(record, (_k, v) => (v === Infinity ? 'Infinity' : v), 2))
  const md = [
    `Benchmarks (\`npm run bench${options.quick ? ' -- --quick' : ''}\`), ${machineLine}.`,
    '',
    ...summary.tables.flatMap((t) => [`**${t.title}**`, '', table(t.rows, { markdown: true }), '']),
    ...(summary.checks.length ? ['Validity notes:', '', ...summary.checks.map((c) => `- ${c}`), ''] : [])
  ].join('\n')
  writeFileSync(`${base}.md`, md)
  log(`\nwrote ${relative(PROJECT_ROOT, base)}.json and .md`)
}

main()
  .catch((error) => {
    console.error(error.stack ?? error)
    process.exitCode = 1
  })
  .finally(async () => {
    await cleanupAll()
    // Bounded: whatever handle is left (a pool, a timer) must not keep the run alive.
    setTimeout(() => process.exit(), 500).unref()
  })
