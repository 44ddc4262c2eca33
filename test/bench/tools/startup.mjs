#!/usr/bin/env node
// Start-up time: spawn → first GET /ready answered 200, of `node dist/src/server.js` with
// PostgreSQL and Redis (what bounds a rolling restart). Alternating rounds over one or more
// product roots (e.g. a checkout before a change and this one), median and spread per root.
// Usage: node test/bench/tools/startup.mjs [--rounds N] ROOT [ROOT...]
// Env: BENCH_POSTGRES_URL (a database the product may migrate; default the bench admin URL's
// postgres database is NOT used: pass a throwaway one), BENCH_REDIS_URL.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'

const args = process.argv.slice(2)
let rounds = 5
const roots = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = Number(args[++i])
  else roots.push(resolve(args[i]))
}
if (roots.length === 0 || !(rounds > 0)) throw new Error('usage: startup.mjs [--rounds N] ROOT [ROOT...]')
const databaseUrl = process.env.BENCH_POSTGRES_URL
if (databaseUrl === undefined) throw new Error('set BENCH_POSTGRES_URL to a throwaway database')
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** CPU time (user + system) a process has used so far, in ms: less sensitive to a busy machine than wall time. */
function cpuMsOf (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10 // utime, stime in ticks of 10 ms (CLK_TCK 100)
}

async function once (root, port) {
  const started = performance.now()
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'server.js')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      CHANNEL_PREFIX: `flc18_startup_${process.pid}_${port}:`,
      SECRET_KEYS: `startup-bench-${'k'.repeat(32)}`,
      DATA_DIR: '/tmp/flc-startup-data'
    }
  })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    const deadline = started + 60_000
    while (performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr.slice(-500)}`)
      const ok = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false)
      if (ok) return { ms: performance.now() - started, cpuMs: cpuMsOf(child.pid) }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    throw new Error('not ready within 60 s')
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[(values.length - 1) >> 1]
const times = roots.map(() => [])
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < roots.length; i++) {
    const index = (i + round) % roots.length
    times[index].push(await once(roots[index], 31000 + (round * roots.length + i) % 1000))
  }
}
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
for (const [i, root] of roots.entries()) {
  const t = times[i].map((r) => r.ms)
  const cpu = times[i].map((r) => r.cpuMs)
  console.log(`${root}: spawn → /ready 200 median ${Math.round(median(t))} ms (min ${Math.round(Math.min(...t))}, max ${Math.round(Math.max(...t))}; ${t.map(Math.round).join(', ')}); CPU until ready median ${median(cpu)} ms (${cpu.join(', ')})`)
}
