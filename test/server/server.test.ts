// src/server.ts as a process: configuration errors, the embedded defaults, graceful shutdown.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { runServerToExit, startServer } from '../helpers/server-process.js'
import { SseTestClient } from '../helpers/sse-client.js'

test('a bad setting stops start-up with one line naming it', async () => {
  const { code, output } = await runServerToExit({ PORT: 'eighty' })
  assert.equal(code, 2)
  assert.equal(output.trim(), 'Invalid configuration: PORT="eighty" is not accepted; expected an integer from 0 to 65535')
})

test('embedded defaults: creates, migrates and seeds the data folder, serves the page, shuts down gracefully', async (t) => {
  const dataRoot = await mkdtemp(join(tmpdir(), 'flc-server-'))
  t.after(() => rm(dataRoot, { recursive: true, force: true }))
  const env = { DATA_DIR: join(dataRoot, 'nested', 'data') } // parent folders do not exist yet

  const server = await startServer(t, env)
  const page = await fetch(server.url)
  assert.equal(page.status, 200)
  const html = await page.text()
  const start = html.indexOf('<tbody id="contacts-body">')
  const body = html.slice(start, html.indexOf('</tbody>', start))
  assert.equal([...body.matchAll(/<tr\b[^>]*>\s*<td>\d+<\/td>/g)].length, 3)
  assert.match(body, /Load more\.\.\./)

  // An open stream must not hold shutdown up: SIGTERM ends it, then the process exits 0.
  const stream = await SseTestClient.connect(new URL('/notification/', server.url).toString())
  t.after(() => stream.close())
  assert.equal(stream.status, 200)
  server.child.kill('SIGTERM')
  assert.equal((await server.exited).code, 0, server.logs())
  await stream.waitFor((c) => c.ended, 'the stream ended')

  // Restart on the same folder: no second seed, no second migration.
  const again = await startServer(t, env)
  const count = await fetch(new URL('/contacts/34', again.url)) // 100 contacts → page 34 is the last
  assert.equal(count.status, 200)
  assert.equal((await fetch(new URL('/contacts/35', again.url))).status, 404)
  again.child.kill('SIGTERM')
  assert.equal((await again.exited).code, 0, again.logs())
})

test('an unreachable database stops start-up with a message naming it, password hidden', async () => {
  const { code, output } = await runServerToExit({ DATABASE_URL: 'postgres://app:s3cret@127.0.0.1:1/nowhere', LOG_LEVEL: 'silent', PORT: '0' })
  assert.equal(code, 1)
  assert.match(output, /^Could not start: Cannot connect to PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/nowhere \(.*\)\. Start PostgreSQL, fix DATABASE_URL, or unset DATABASE_URL/m)
  assert.ok(!output.includes('s3cret'), 'the password never appears')
})

test('an unreachable Redis stops start-up with a message naming it', async () => {
  const { code, output } = await runServerToExit({ REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: 'memory://' })
  assert.equal(code, 1)
  assert.match(output, /^Could not start: Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/m)
})

test('a port in use stops start-up naming PORT', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => blocker.close())
  const port = (blocker.address() as AddressInfo).port
  const { code, output } = await runServerToExit({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: 'memory://', DEMO_PUBLISHER: 'off' })
  assert.equal(code, 1)
  assert.match(output, new RegExp(`^Could not start: PORT=${port} is already in use on 127\\.0\\.0\\.1`, 'm'))
})

test('DATA_DIR pointing at a folder with other files is refused, untouched', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'flc-notadb-'))
  t.after(() => rm(folder, { recursive: true, force: true }))
  await writeFile(join(folder, 'readme.txt'), 'my notes')
  const { code, output } = await runServerToExit({ DATA_DIR: folder, LOG_LEVEL: 'silent', PORT: '0' })
  assert.equal(code, 1)
  assert.match(output, /^Could not start: DATA_DIR=.* is not empty and holds no database \(found readme\.txt\)/m)
  assert.deepEqual(await readdir(folder), ['readme.txt'])
})
