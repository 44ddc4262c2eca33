// Shutdown cannot be held by clients (issue 15, findings 4 and 5): sockets that sent half a
// request are closed as soon as the streams are told to go, so SIGTERM ends cleanly well inside
// the grace period; and the pair of SIGINTs a terminal's Ctrl-C delivers under npm (one to npm,
// which passes it on, one to node) does not skip the graceful path.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { startServer } from '../helpers/server-process.js'

const ENV = { DATA_DIR: 'memory://', DEMO_CONTACTS: '0', LOG_LEVEL: 'info' }

test('SIGTERM with half-sent requests open: a clean shutdown, not the grace timeout', { timeout: 120_000 }, async (t) => {
  // Header timers far away: only the shutdown itself may close these sockets.
  const server = await startServer(t, { ...ENV, SHUTDOWN_GRACE_MS: '30000', HEADERS_TIMEOUT_MS: '600000', REQUEST_TIMEOUT_MS: '600000' })
  const { port } = new URL(server.url)
  const sockets: Socket[] = []
  for (let i = 0; i < 3; i++) {
    const socket = connect({ port: Number(port), host: '127.0.0.1' })
    socket.on('error', () => {})
    t.after(() => socket.destroy())
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n') // and never the blank line that ends it
    sockets.push(socket)
  }
  // Let the server read the partial requests before the signal.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const signalled = performance.now()
  server.child.kill('SIGTERM')
  assert.equal((await server.exited).code, 0, server.logs())
  t.diagnostic(`exited ${Math.round(performance.now() - signalled)} ms after SIGTERM`)
  assert.match(server.logs(), /shut down cleanly/)
  assert.doesNotMatch(server.logs(), /killed by timeout/)
})

test('two SIGINTs a few milliseconds apart (Ctrl-C under npm) still shut down gracefully', { timeout: 120_000 }, async (t) => {
  const server = await startServer(t, ENV)
  server.child.kill('SIGINT')
  server.child.kill('SIGINT')
  assert.equal((await server.exited).code, 0, server.logs())
  assert.match(server.logs(), /shut down cleanly/)
  assert.doesNotMatch(server.logs(), /second SIGINT/)
})
