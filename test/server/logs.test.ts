// Log format: readable lines in development, JSON lines in production; a start-up failure is
// one plain line whatever the format and level.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runServerToExit, startServer } from '../helpers/server-process.js'

test('development logs are readable lines (pino-pretty), not JSON', async (t) => {
  const server = await startServer(t, { NODE_ENV: 'development', LOG_LEVEL: 'info', DATA_DIR: 'memory://' })
  server.child.kill('SIGTERM')
  await server.exited
  const output = server.logs()
  assert.match(output, /^\[[\d:.]+\] INFO: Fastify Live Components is ready$/m)
  assert.ok(!output.split('\n').some((line) => line.startsWith('{')), output)
})

test('production logs are one JSON object per line', async (t) => {
  const server = await startServer(t, { NODE_ENV: 'production', LOG_LEVEL: 'info', DATA_DIR: 'memory://', SECRET_KEYS: 'production-logs-secret-0123456789abcdefgh' })
  server.child.kill('SIGTERM')
  await server.exited
  const logLines = server.logs().split('\n').filter((line) => line.startsWith('{'))
  assert.ok(logLines.length >= 3, server.logs())
  const messages = logLines.map((line) => (JSON.parse(line) as { msg: string }).msg)
  assert.ok(messages.includes('Fastify Live Components is ready'))
  assert.ok(messages.includes('shut down cleanly'))
})

for (const NODE_ENV of ['development', 'production']) {
  test(`a start-up failure is one line (${NODE_ENV} logs at info)`, async () => {
    // Production needs its SECRET_KEYS (checked before the database is opened).
    const { code, output } = await runServerToExit({ NODE_ENV, LOG_LEVEL: 'info', DATABASE_URL: 'postgres://app@127.0.0.1:1/nowhere', PORT: '0', SECRET_KEYS: 'k'.repeat(40) })
    assert.equal(code, 1)
    const mentions = output.split('\n').filter((line) => /nowhere|PostgreSQL|could not start/i.test(line))
    assert.equal(mentions.length, 1, output)
    assert.match(mentions[0]!, /^Could not start: Cannot connect to PostgreSQL at postgres:\/\/app@127\.0\.0\.1:1\/nowhere/)
  })
}
