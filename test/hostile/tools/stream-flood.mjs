#!/usr/bin/env node
// Measurement (not part of npm test): one client address tries to open N streams against a
// running server while another address polls /health. Prints streams held vs the cap, the
// refusals by status, and /health answer times. The load is spread over worker processes so
// none holds more than 10,000 sockets (the machine allows 20,000 open files per process).
// Usage: node test/hostile/tools/stream-flood.mjs <base-url> [attempts=20000] [from=127.0.0.1] [health-from=127.0.0.2]
import { fork } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'

const PER_WORKER = 10_000

function get (url, localAddress) {
  return new Promise((resolve) => {
    const started = performance.now()
    const req = request(url, { localAddress, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }))
    })
    req.on('error', (error) => resolve({ status: error.code, ms: performance.now() - started }))
    req.end()
  })
}

if (process.argv[2] === '--worker') {
  const [,,, url, countText, localAddress] = process.argv
  const statuses = {}
  const held = []
  let next = 0
  const openOne = () => new Promise((resolve) => {
    const req = request(url, { localAddress, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
      if (res.statusCode === 200) held.push(req)
      res.on('error', () => {})
      res.resume()
      resolve()
    })
    req.on('error', (error) => { statuses[error.code] = (statuses[error.code] ?? 0) + 1; resolve() })
    req.end()
  })
  const lane = async () => { while (next++ < Number(countText)) await openOne() }
  await Promise.all(Array.from({ length: 200 }, lane))
  process.send({ statuses, held: held.length })
  process.on('message', () => { for (const req of held) req.destroy(); process.exit(0) })
} else {
  const [base, attemptsText = '20000', from = '127.0.0.1', healthFrom = '127.0.0.2'] = process.argv.slice(2)
  const attempts = Number(attemptsText)
  const streamUrl = new URL('/notification/', base).toString()
  const healthUrl = new URL('/health', base).toString()
  const health = []
  const state = { flooding: true }
  const poll = (async () => { while (state.flooding) { health.push(await get(healthUrl, healthFrom)); await new Promise((resolve) => setTimeout(resolve, 100)) } })()
  const started = performance.now()
  const workers = []
  for (let left = attempts; left > 0; left -= PER_WORKER) {
    workers.push(fork(fileURLToPath(import.meta.url), ['--worker', streamUrl, String(Math.min(PER_WORKER, left)), from]))
  }
  const results = await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))
  const floodMs = performance.now() - started
  state.flooding = false
  await poll
  const statuses = {}
  let held = 0
  for (const r of results) {
    held += r.held
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v
  }
  const times = health.map((h) => h.ms).sort((a, b) => a - b)
  const pct = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))]?.toFixed(1)
  console.log(JSON.stringify({
    attempts,
    from,
    floodMs: Math.round(floodMs),
    streamsHeld: held,
    statuses,
    health: { from: healthFrom, samples: health.length, ok: health.filter((h) => h.status === 200).length, p50ms: pct(0.5), p99ms: pct(0.99), maxMs: times.at(-1)?.toFixed(1) }
  }, null, 2))
  for (const w of workers) w.send('stop')
}
