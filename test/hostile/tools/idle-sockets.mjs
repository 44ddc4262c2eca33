#!/usr/bin/env node
// Measurement (not part of npm test), issue 15 findings 1 and 3.
//
//   node test/hostile/tools/idle-sockets.mjs flood <base-url> [per-address=10000] [seconds=20]
//     Two client addresses (127.0.0.2, 127.0.0.3) each keep up to per-address TCP sockets open
//     that never send a byte, reconnecting 50 ms after the server closes one (a persistent
//     attacker), while a third address (127.0.0.4) asks /health every 50 ms. Prints the sockets
//     the server let them hold, and /health answers/attempts with p50/p99/max.
//   node test/hostile/tools/idle-sockets.mjs lifetimes <base-url>
//     How long the server keeps a socket that sends nothing, one that drips a header byte every
//     second, and an idle keep-alive socket after one answered request (each capped at 150 s).
//
// One worker process per address, so none holds more than 10,000 sockets (the machine allows
// 20,000 open files per process).
import { fork } from 'node:child_process'
import { connect } from 'node:net'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'

const ATTACKERS = ['127.0.0.2', '127.0.0.3']
const HEALTH_FROM = '127.0.0.4'

function health (url) {
  return new Promise((resolve) => {
    const started = performance.now()
    const req = request(url, { localAddress: HEALTH_FROM, agent: false, timeout: 5000 }, (res) => {
      res.resume()
      res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - started }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve({ ok: false, ms: performance.now() - started }))
    req.end()
  })
}

function percentile (values, p) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function worker ([host, portText, countText, localAddress, secondsText]) {
  const port = Number(portText)
  const until = Date.now() + Number(secondsText) * 1000
  let open = 0
  let maxOpen = 0
  let closedByServer = 0
  const sockets = new Set()
  const openOne = () => {
    if (Date.now() > until) return
    const socket = connect({ host, port, localAddress })
    sockets.add(socket)
    socket.on('error', () => {})
    let connected = false
    socket.on('connect', () => { connected = true; open++; maxOpen = Math.max(maxOpen, open) })
    socket.on('close', () => {
      sockets.delete(socket)
      if (connected) open--
      closedByServer++
      setTimeout(openOne, 50)
    })
  }
  for (let i = 0; i < Number(countText); i++) {
    openOne()
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve))
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())))
  process.send({ localAddress, maxOpen, heldAtEnd: open, closedByServer })
  for (const socket of sockets) socket.destroy()
  process.exit(0)
}

async function flood ([base, perAddressText = '10000', secondsText = '20']) {
  const url = new URL(base)
  const healthUrl = new URL('/health', base).toString()
  const workers = ATTACKERS.map((address) => fork(fileURLToPath(import.meta.url), ['worker', url.hostname, url.port, perAddressText, address, secondsText]))
  const results = workers.map((w) => new Promise((resolve) => w.once('message', resolve)))
  await new Promise((resolve) => setTimeout(resolve, 2000)) // the attack ramps up first
  const answers = []
  const deadline = Date.now() + (Number(secondsText) - 3) * 1000
  while (Date.now() < deadline) {
    answers.push(await health(healthUrl))
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  // What the server itself holds (METRICS_TOKEN set on the server and here; absent before issue 15).
  let serverSide = ''
  if (process.env.METRICS_TOKEN !== undefined) {
    const res = await fetch(new URL('/metrics', base), { headers: { authorization: `Bearer ${process.env.METRICS_TOKEN}` } }).catch(() => undefined)
    const text = res === undefined ? '' : await res.text()
    serverSide = text.split('\n').filter((line) => /^flc_connections_(open|refused_total)/.test(line)).join('; ')
  }
  const attackers = await Promise.all(results)
  const ok = answers.filter((a) => a.ok)
  const ms = ok.map((a) => a.ms)
  for (const a of attackers) console.log(`attacker ${a.localAddress}: at most ${a.maxOpen} sockets open at once, ${a.heldAtEnd} at the end, ${a.closedByServer} closed by the server`)
  if (serverSide !== '') console.log(`server during the flood: ${serverSide}`)
  console.log(`/health from ${HEALTH_FROM}: ${ok.length}/${answers.length} answered 200; p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`)
}

function lifetime (url, send) {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = connect({ host: url.hostname, port: Number(url.port) })
    let timer
    const done = (how) => { clearInterval(timer); socket.destroy(); resolve(`${how} after ${((performance.now() - started) / 1000).toFixed(1)} s`) }
    const cap = setTimeout(() => done('still open (capped)'), 150_000)
    socket.on('error', () => {})
    socket.on('close', () => { clearTimeout(cap); done('closed by the server') })
    socket.on('connect', () => { timer = send(socket) })
    socket.resume()
  })
}

async function lifetimes ([base]) {
  const url = new URL(base)
  const header = `GET /health HTTP/1.1\r\nHost: ${url.host}\r\nX-Drip: `
  const [silent, drip, idle] = await Promise.all([
    lifetime(url, () => undefined),
    lifetime(url, (socket) => { let i = 0; return setInterval(() => socket.write(header[i++ % header.length]), 1000) }),
    lifetime(url, (socket) => { socket.write(`GET /health HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`); return undefined })
  ])
  console.log(`zero-byte socket: ${silent}`)
  console.log(`header drip (1 byte/s): ${drip}`)
  console.log(`idle keep-alive after one request: ${idle}`)
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'worker') await worker(args)
else if (mode === 'flood') await flood(args)
else if (mode === 'lifetimes') await lifetimes(args)
else {
  console.error('usage: idle-sockets.mjs flood <base-url> [per-address] [seconds] | lifetimes <base-url>')
  process.exit(2)
}
