// HTTP load client process: runs autocannon against one URL (a warm-up, then the measured
// run) and prints one JSON line with the result and this process's own CPU use.
// Usage: node http-load.mjs '<json options: url, connections, warmupSec, durationSec>'
import autocannon from 'autocannon'

const options = JSON.parse(process.argv[2])

function run (durationSec) {
  return autocannon({ url: options.url, connections: options.connections, duration: durationSec, pipelining: 1 })
}

if (options.warmupSec > 0) await run(options.warmupSec)
const cpuMark = process.cpuUsage()
const started = performance.now()
const result = await run(options.durationSec)
const cpu = process.cpuUsage(cpuMark)
const wallSeconds = (performance.now() - started) / 1000
process.stdout.write(JSON.stringify({
  requestsPerSec: result.requests.average,
  totalRequests: result.requests.total,
  latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
  ok: result['2xx'],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  clientCpu: (cpu.user + cpu.system) / 1e6 / wallSeconds
}) + '\n')
