// Orchestrator side of the SSE load client: spreads N connections over worker processes
// (each well under the 20,000 open-files cap), pinned to the client core, and gathers
// their histograms, delivery counts and CPU.
import { fileURLToPath } from 'node:url'
import { Histogram } from './histogram.mjs'
import { spawnPinned, stopChild } from './procs.mjs'

const WORKER = fileURLToPath(new URL('../load/sse-worker.mjs', import.meta.url))
export const MAX_SOCKETS_PER_WORKER = 18_000

// Each worker connects from its own loopback source address (127.1.x.y), so back-to-back
// runs of ~19k connections never run out of ephemeral ports or trip over TIME_WAIT.
let sourceCounter = 0
function nextSourceAddress () {
  const n = sourceCounter++
  return `127.1.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`
}

export class SseLoad {
  constructor (workers) {
    this.workers = workers
    this.pending = new Map()
    this.nextId = 1
    this.progress = workers.map(() => 0)
    this.keyedProgress = workers.map(() => 0)
    this.progressListeners = new Set()
    for (const [index, worker] of workers.entries()) {
      worker.on('message', (msg) => {
        if (msg.type === 'progress') {
          this.progress[index] = msg.delivered
          this.keyedProgress[index] = msg.keyed ?? 0
          for (const listener of this.progressListeners) listener()
          return
        }
        const waiter = this.pending.get(msg.id)
        if (!waiter) return
        this.pending.delete(msg.id)
        if (msg.error) waiter.reject(new Error(`load worker ${index}: ${msg.error}`))
        else waiter.resolve(msg)
      })
      worker.once('exit', (code) => {
        for (const [id, waiter] of this.pending) {
          if (waiter.worker === worker) {
            this.pending.delete(id)
            waiter.reject(new Error(`load worker ${index} exited (${code})`))
          }
        }
      })
    }
  }

  /** Starts `count` worker processes pinned to `core`. */
  static async start ({ count, core }) {
    const workers = []
    for (let i = 0; i < count; i++) workers.push(spawnPinned(`load-${i}`, core, process.execPath, [WORKER], { ipc: true }))
    return new SseLoad(workers)
  }

  get pids () { return this.workers.map((w) => w.pid) }

  request (worker, msg, timeoutMs = 120_000) {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`load worker did not answer ${msg.cmd} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, {
        worker,
        resolve: (v) => { clearTimeout(timer); resolve(v) },
        reject: (e) => { clearTimeout(timer); reject(e) }
      })
      worker.send({ id, ...msg })
    })
  }

  all (msg, timeoutMs) { return Promise.all(this.workers.map((w) => this.request(w, msg, timeoutMs))) }

  /**
   * Opens `count` SSE connections split evenly over the workers. paths (optional): a path per
   * connection, in order (path is then ignored); headers (optional): an object of extra request
   * headers per connection (e.g. each page's cookie), in the same order.
   */
  async connect ({ host, port, path, paths, headers, count, concurrency = 64, timeoutMs = 20_000 }) {
    const per = Math.ceil(count / this.workers.length)
    if (per > MAX_SOCKETS_PER_WORKER) throw new Error(`${per} sockets per worker exceeds ${MAX_SOCKETS_PER_WORKER}: use more workers`)
    const started = performance.now()
    const replies = await Promise.all(this.workers.map((w, i) => {
      const n = Math.max(0, Math.min(per, count - i * per))
      const slice = paths?.slice(i * per, i * per + n)
      const headerSlice = headers?.slice(i * per, i * per + n)
      return this.request(w, { cmd: 'connect', host, port, path, paths: slice, headers: headerSlice, count: n, concurrency, timeoutMs, localAddress: nextSourceAddress() }, timeoutMs + n * 50)
    }))
    const outcomes = {}
    for (const r of replies) for (const [k, v] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v
    return { ok: outcomes.ok ?? 0, outcomes, ms: performance.now() - started }
  }

  /**
   * Resets counters; only messages with sequence >= minSeq count from now on. keyed (optional):
   * { marker, minKey }: also record arrivals of `<marker><number>` for numbers >= minKey (text
   * without a send time, e.g. a count; see load/sse-worker.mjs).
   */
  phase (minSeq, keyed) {
    this.progress = this.workers.map(() => 0)
    this.keyedProgress = this.workers.map(() => 0)
    return this.all({ cmd: 'phase', minSeq, keyMarker: keyed?.marker, minKey: keyed?.minKey })
  }

  /** Workers push their delivery count every intervalMs while it changes (0 stops). */
  streamProgress (intervalMs) { return this.all({ cmd: 'progress', intervalMs }) }

  get delivered () { return this.progress.reduce((a, b) => a + b, 0) }

  /** Keyed arrivals reported so far in this phase (see phase). */
  get keyed () { return this.keyedProgress.reduce((a, b) => a + b, 0) }

  /** Resolves on the next progress report, or after timeoutMs. */
  nextProgress (timeoutMs) {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.progressListeners.delete(done); resolve() }
      const timer = setTimeout(done, timeoutMs)
      this.progressListeners.add(done)
    })
  }

  /** keyStarts (optional): { key: start ms on lib/clock.mjs } turns keyed arrivals into keyHistogram. */
  async report (keyStarts) {
    const replies = await this.all({ cmd: 'report', keyStarts })
    const histogram = new Histogram()
    const keyHistogram = new Histogram()
    let keyed = 0
    let keyedUnmatched = 0
    let delivered = 0
    let cpuSeconds = 0
    let open = 0
    let closedByServer = 0
    let wallSeconds = 0
    for (const r of replies) {
      histogram.merge(r.histogram)
      keyHistogram.merge(r.keyHistogram)
      keyed += r.keyed
      keyedUnmatched += r.keyedUnmatched
      delivered += r.delivered
      cpuSeconds += r.cpuSeconds
      open += r.open
      closedByServer += r.closedByServer
      wallSeconds = Math.max(wallSeconds, r.wallSeconds)
    }
    return { histogram, delivered, keyHistogram, keyed, keyedUnmatched, cpuSeconds, wallSeconds, open, closedByServer }
  }

  async close () {
    await Promise.all(this.workers.map(async (w) => {
      try { await this.request(w, { cmd: 'close' }, 5000) } catch {}
      await stopChild(w, 2000)
    }))
  }
}
