// The demo publisher CLI as a real child process.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { RedisBroker } from '../../src/live/broker/redis-broker.js'
import type { BrokerMessage } from '../../src/live/broker/broker.js'
import { liveEnv } from './helpers/app.js'
import { waitFor } from '../helpers/wait.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const silent = { debug () {}, info () {}, warn () {}, error () {} }

function runCli (env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/random-notifications.ts'], {
    cwd: root,
    env: { ...process.env, REDIS_URL: '', CHANNEL_PREFIX: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const output = { stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output.stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output.stderr += chunk })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  return { child, output, exited }
}

test('publishes notifications with history ids through the broker path, stops cleanly on SIGTERM', async (t) => {
  const env = await liveEnv(t, 'redis')
  if (env === undefined) return
  const broker = await RedisBroker.connect({ url: env.REDIS_URL!, prefix: env.CHANNEL_PREFIX!, historySize: 100, logger: silent })
  t.after(() => broker.close())
  const received: BrokerMessage[] = []
  await broker.subscribe('notifications_channel', (m) => received.push(m))

  const { child, output, exited } = runCli({ ...env, NOTIFY_INTERVAL_MS: '50' })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await waitFor(() => (output.stdout.match(/^Published /gm) ?? []).length >= 2, { what: 'two published lines', timeoutMs: 30_000 })
  child.kill('SIGTERM')
  const [code] = await exited
  assert.equal(code, 0, output.stderr)
  assert.match(output.stdout, /SIGTERM: stopped notification publisher/)

  const printed = [...output.stdout.matchAll(/^Published (\S+): (.*)$/gm)].map((m) => ({ id: m[1]!, payload: m[2]! }))
  await waitFor(() => received.length >= printed.length, { what: 'deliveries' })
  assert.deepEqual(received.slice(0, printed.length), printed)
  const notification = JSON.parse(printed[0]!.payload)
  assert.deepEqual(Object.keys(notification).sort(), ['color', 'id', 'message', 'timestamp', 'title'])
  assert.ok(['blue', 'green', 'red', 'black', 'gray', 'purple'].includes(notification.color))
  assert.deepEqual((await broker.readAfter('notifications_channel', printed[0]!.id)).messages.slice(0, printed.length - 1), printed.slice(1))
})

test('exits 1 with a clear message when Redis is unreachable', async () => {
  const { output, exited } = runCli({ REDIS_URL: 'redis://127.0.0.1:1' })
  const [code] = await exited
  assert.equal(code, 1)
  assert.match(output.stderr, /Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/)
})
