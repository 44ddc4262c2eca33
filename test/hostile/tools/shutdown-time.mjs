#!/usr/bin/env node
// Measurement (not part of npm test), issue 15 finding 4: starts the built server, opens three
// sockets that send half a request and stop, sends SIGTERM and prints how long the process took
// to exit, its exit code, and whether it logged a clean shutdown.
// Usage: DATABASE_URL=… node test/hostile/tools/shutdown-time.mjs [server entry=dist/src/server.js] [half-sent sockets=3]
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { once } from 'node:events'

const [entry = 'dist/src/server.js', countText = '3'] = process.argv.slice(2)
const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', DEMO_PUBLISHER: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] })
let output = ''
child.stdout.on('data', (chunk) => { output += chunk })
child.stderr.on('data', (chunk) => { output += chunk })
const exited = once(child, 'exit')
const deadline = Date.now() + 120_000
let url
while (url === undefined && Date.now() < deadline) {
  url = /running at (http:\/\/\S+)/.exec(output)?.[1]
  await new Promise((resolve) => setTimeout(resolve, 50))
}
if (url === undefined) throw new Error(`the server did not start:\n${output}`)
const { hostname, port } = new URL(url)
const sockets = []
for (let i = 0; i < Number(countText); i++) {
  const socket = connect({ host: hostname === 'localhost' ? '127.0.0.1' : hostname, port: Number(port) })
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n')
  sockets.push(socket)
}
await new Promise((resolve) => setTimeout(resolve, 300))
const started = performance.now()
child.kill('SIGTERM')
const [code, signal] = await exited
console.log(`exit ${code ?? signal} ${((performance.now() - started) / 1000).toFixed(2)} s after SIGTERM with ${countText} half-sent requests; clean shutdown logged: ${/shut down cleanly/.test(output)}; killed by the grace timeout: ${/killed by timeout/.test(output)}`)
for (const socket of sockets) socket.destroy()
