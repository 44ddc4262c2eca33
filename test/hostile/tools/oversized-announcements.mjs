#!/usr/bin/env node
// Measurement (not part of npm test), issue 15 finding 8: writes N oversized entries (8 MB each)
// to a running server's announcement stream while /health is asked every 50 ms and the server's
// RSS is read from /proc. Prints RSS before and at its peak, /health p50/p99/max, and what is
// left in the stream.
// Usage: node test/hostile/tools/oversized-announcements.mjs <base-url> <server-pid> <redis-url> <CHANNEL_PREFIX> [entries=16] [MB=8]
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'

const [base, pidText, redisUrl, prefix = '', countText = '16', mbText = '8'] = process.argv.slice(2)
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pidText}/status`, 'utf8'))?.[1] ?? NaN) / 1024
const key = `${prefix}broadcast:announcements`
const redis = new Redis(redisUrl)
const before = rss()
let peak = before
const answers = []
const state = { running: true }
const poll = (async () => {
  while (state.running) {
    const started = performance.now()
    const ok = await fetch(new URL('/health', base), { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false)
    answers.push({ ok, ms: performance.now() - started })
    peak = Math.max(peak, rss())
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})()
const pad = 'x'.repeat(Number(mbText) * 1024 * 1024)
const lengthBefore = await redis.xlen(key)
for (let i = 0; i < Number(countText); i++) await redis.xadd(key, '*', 'change', `{"tags":["contacts"],"pad":"${pad}"}`)
await new Promise((resolve) => setTimeout(resolve, 5000)) // let the reader get to them
state.running = false
await poll
const ms = answers.filter((a) => a.ok).map((a) => a.ms).sort((a, b) => a - b)
const at = (p) => ms[Math.min(ms.length - 1, Math.floor(p / 100 * ms.length))].toFixed(1)
console.log(`RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (+${(peak - before).toFixed(0)} MB) during ${countText} entries of ${mbText} MB`)
console.log(`/health: ${ms.length}/${answers.length} answered; p50 ${at(50)} ms, p99 ${at(99)} ms, max ${ms.at(-1).toFixed(1)} ms`)
console.log(`entries in the stream: ${lengthBefore} before, ${await redis.xlen(key)} after`)
await redis.del(key)
redis.disconnect()
