// One load-client process: holds many SSE connections on raw TCP sockets and records
// publish->receive latency into a compact histogram. Kept cheap on purpose (one static read
// buffer, byte-level parsing, no per-sample arrays) so the client is never the bottleneck.
//
// Messages carry `t:<ms on lib/clock.mjs, decimals> s:<sequence>` in their text (':' because HTML
// escapers leave it alone; Handlebars turns '=' into &#x3D;); the publisher
// stamps t with lib/clock.mjs (the machine's monotonic clock), comparable across processes.
// Driven over IPC by lib/sse-load.mjs: requests {id, cmd, ...}, replies {id, ...}.
//
// Keyed arrivals (optional, set by `phase`): text that carries no send time, only a number
// after a fixed marker (e.g. `data-contact-count="<n>"`), is recorded as its arrival time per
// number; `report` is then given each number's start time and turns them into a second
// histogram. Per connection a number counts once and in order, like a sequence.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { Histogram } from '../lib/histogram.mjs'
import { now as clock } from '../lib/clock.mjs'

const CR = 13
const LF = 10
const MARK = Buffer.from('t:')
const HEADER_END = '\r\n\r\n'
const MAX_CARRY = 64 * 1024

const readBuffer = Buffer.allocUnsafe(256 * 1024)
const connections = []

let histogram = new Histogram()
let delivered = 0 // deliveries with seq >= minSeq since the last phase
let minSeq = Number.MAX_SAFE_INTEGER // nothing is recorded before the first phase
let closedByServer = 0
let keyMark = null // Buffer of the keyed marker, or null when off
let minKey = Number.MAX_SAFE_INTEGER
let keyed = 0 // keyed arrivals with key >= minKey since the last phase
let keyArrivals = new Map() // key -> arrival times (ms on lib/clock.mjs)
const MAX_KEYED_ARRIVALS = 5_000_000 // bound on what one phase keeps (40 MB)
let cpuMark = process.cpuUsage()
let wallMark = performance.now()

const HEAD = 0
const CHUNK_SIZE = 1
const CHUNK_DATA = 2
const CHUNK_CRLF = 3
const RAW = 4 // body without chunked framing

class Connection {
  constructor () {
    this.socket = null
    this.state = HEAD
    this.head = ''
    this.status = 0
    this.chunkLeft = 0
    this.crlfLeft = 0
    this.carry = null
    this.lastSeq = -1
    this.lastKey = -1
    this.open = false
    this.established = false
  }
}

// Scans complete SSE lines in b[start, end) for markers; the unterminated tail is carried.
function feedBody (c, b, start, end, now) {
  if (c.carry !== null) {
    b = Buffer.concat([c.carry, b.subarray(start, end)])
    start = 0
    end = b.length
    c.carry = null
  }
  const lastLf = b.lastIndexOf(LF, end - 1)
  if (lastLf < start) {
    if (end - start <= MAX_CARRY) c.carry = Buffer.from(b.subarray(start, end))
    return
  }
  if (lastLf + 1 < end) c.carry = Buffer.from(b.subarray(lastLf + 1, end))
  const view = b.subarray(start, lastLf + 1)
  let i = view.indexOf(MARK)
  while (i !== -1) {
    i = parseMarker(c, view, i + 2, now)
    i = view.indexOf(MARK, i)
  }
  if (keyMark !== null) {
    let k = view.indexOf(keyMark)
    while (k !== -1) {
      k = parseKey(c, view, k + keyMark.length, now)
      k = view.indexOf(keyMark, k)
    }
  }
}

// Parses `<digits>` at j after the keyed marker; records its arrival. Returns where to go on.
function parseKey (c, v, j, now) {
  let k = j
  let key = 0
  let ch
  while (k < v.length && (ch = v[k]) >= 48 && ch <= 57) { key = key * 10 + (ch - 48); k++ }
  if (k === j || key <= c.lastKey) return k
  c.lastKey = key
  if (key >= minKey && keyed < MAX_KEYED_ARRIVALS) {
    keyed++
    let list = keyArrivals.get(key)
    if (list === undefined) keyArrivals.set(key, (list = []))
    list.push(now)
  }
  return k
}

// Parses `<digits>[.<digits>] s:<digits>` at j; records one delivery. Returns where to go on.
function parseMarker (c, v, j, now) {
  const n = v.length
  let t = 0
  let k = j
  let ch = v[k]
  if (ch < 48 || ch > 57) return j
  while (k < n && (ch = v[k]) >= 48 && ch <= 57) { t = t * 10 + (ch - 48); k++ }
  if (v[k] === 46) {
    let scale = 0.1
    k++
    while (k < n && (ch = v[k]) >= 48 && ch <= 57) { t += (ch - 48) * scale; scale /= 10; k++ }
  }
  if (v[k] !== 32 || v[k + 1] !== 115 || v[k + 2] !== 58) return k
  k += 3
  let seq = 0
  const seqStart = k
  while (k < n && (ch = v[k]) >= 48 && ch <= 57) { seq = seq * 10 + (ch - 48); k++ }
  if (k === seqStart) return k
  // In-order per connection: a repeat (same text twice in the HTML, or a replay) is not a delivery.
  if (seq > c.lastSeq) {
    c.lastSeq = seq
    if (seq >= minSeq) {
      delivered++
      histogram.record((now - t) * 1000)
    }
  }
  return k
}

function onBytes (c, b, n) {
  const now = clock()
  let i = 0
  if (c.state === HEAD) {
    const text = b.latin1Slice(0, n)
    c.head += text
    const end = c.head.indexOf(HEADER_END)
    if (end === -1) {
      if (c.head.length > 16384) c.socket.destroy()
      return
    }
    const head = c.head.slice(0, end)
    c.status = Number(head.slice(9, 12))
    c.state = /\r\ntransfer-encoding:[ \t]*chunked/i.test(head) ? CHUNK_SIZE : RAW
    i = n - (c.head.length - (end + 4))
    c.head = ''
    c.onHead?.(c.status)
  }
  if (c.state === RAW) {
    if (i < n) feedBody(c, b, i, n, now)
    return
  }
  while (i < n) {
    if (c.state === CHUNK_DATA) {
      const take = Math.min(c.chunkLeft, n - i)
      feedBody(c, b, i, i + take, now)
      i += take
      c.chunkLeft -= take
      if (c.chunkLeft === 0) { c.state = CHUNK_CRLF; c.crlfLeft = 2 }
    } else if (c.state === CHUNK_SIZE) {
      const ch = b[i++]
      if (ch === LF) {
        if (c.chunkLeft === 0) { c.socket.end(); return } // last chunk: the stream ended
        c.state = CHUNK_DATA
      } else if (ch !== CR && c.crlfLeft === 0) {
        const d = ch <= 57 ? ch - 48 : (ch | 32) - 87
        if (d >= 0 && d < 16) c.chunkLeft = c.chunkLeft * 16 + d
        else c.crlfLeft = 1 // chunk extension: skip to the end of the line
      }
    } else { // CHUNK_CRLF
      i++
      if (--c.crlfLeft === 0) { c.state = CHUNK_SIZE; c.chunkLeft = 0 }
    }
  }
}

// headers: extra request headers (e.g. the page's cookie), { name: value }.
function open ({ host, port, path, headers, localAddress, timeoutMs }) {
  return new Promise((resolve) => {
    const c = new Connection()
    connections.push(c)
    let settled = false
    const settle = (result) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const timer = setTimeout(() => { settle('timeout'); c.socket.destroy() }, timeoutMs)
    c.onHead = (status) => {
      c.established = status === 200
      settle(status === 200 ? 'ok' : `http ${status}`)
    }
    c.socket = net.connect({
      host,
      port,
      localAddress,
      noDelay: true,
      onread: { buffer: readBuffer, callback: (n, b) => { onBytes(c, b, n) } }
    })
    c.socket.on('connect', () => {
      c.open = true
      const extra = headers ? Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('') : ''
      c.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n${extra}\r\n`)
    })
    c.socket.on('error', (error) => settle(error.code ?? error.message))
    c.socket.on('close', () => {
      if (c.open && c.established) closedByServer++
      c.open = false
      settle('closed')
    })
  })
}

// paths (optional): one path per connection (e.g. each page stream with its own token);
// headers (optional): one object of extra request headers per connection, in the same order.
async function connectMany ({ host, port, path, paths, headers, count, localAddress, concurrency = 100, timeoutMs = 15_000 }) {
  const started = performance.now()
  const outcomes = {}
  let next = 0
  async function lane () {
    while (next < count) {
      const i = next++
      const outcome = await open({ host, port, path: paths?.[i] ?? path, headers: headers?.[i], localAddress, timeoutMs })
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane))
  return { ok: outcomes.ok ?? 0, outcomes, ms: performance.now() - started }
}

function openCount () {
  let n = 0
  for (const c of connections) if (c.open && c.established) n++
  return n
}

let progressTimer = null
let lastProgress = ''

const handlers = {
  connect: (msg) => connectMany(msg),
  phase (msg) {
    histogram = new Histogram()
    delivered = 0
    minSeq = msg.minSeq
    keyMark = msg.keyMarker ? Buffer.from(msg.keyMarker, 'latin1') : null
    minKey = msg.minKey ?? Number.MAX_SAFE_INTEGER
    keyed = 0
    keyArrivals = new Map()
    closedByServer = 0
    cpuMark = process.cpuUsage()
    wallMark = performance.now()
    return {}
  },
  progress (msg) {
    clearInterval(progressTimer)
    progressTimer = null
    if (msg.intervalMs > 0) {
      progressTimer = setInterval(() => {
        const state = `${delivered} ${keyed}`
        if (state !== lastProgress) {
          lastProgress = state
          process.send({ type: 'progress', delivered, keyed })
        }
      }, msg.intervalMs)
    }
    return {}
  },
  // keyStarts (optional): { key: start time in ms on lib/clock.mjs } for the keyed arrivals.
  report (msg) {
    const cpu = process.cpuUsage(cpuMark)
    const keyHistogram = new Histogram()
    let keyedUnmatched = 0
    for (const [key, arrivals] of keyArrivals) {
      const start = msg.keyStarts?.[key]
      if (start === undefined) { keyedUnmatched += arrivals.length; continue }
      for (const at of arrivals) keyHistogram.record((at - start) * 1000)
    }
    return {
      histogram: histogram.toJSON(),
      delivered,
      keyHistogram: keyHistogram.toJSON(),
      keyed,
      keyedUnmatched,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds: (performance.now() - wallMark) / 1000,
      open: openCount(),
      closedByServer,
      rssBytes: process.memoryUsage.rss()
    }
  },
  close () {
    clearInterval(progressTimer)
    for (const c of connections) c.socket?.destroy()
    setTimeout(() => process.exit(0), 50)
    return {}
  }
}

process.on('message', async (msg) => {
  try {
    const result = await handlers[msg.cmd](msg)
    process.send({ id: msg.id, ...result })
  } catch (error) {
    process.send({ id: msg.id, error: error.stack })
  }
})
process.on('disconnect', () => process.exit(0)) // the orchestrator is gone: never linger
