// PostgreSQL behind a TCP proxy that freezes (no byte moves) and cuts (connections reset):
// every request answers within the configured bounds, 503 + Retry-After naming the database,
// never a 500 and never minutes; /health keeps answering; service resumes when PostgreSQL does.
// (Issue 8, finding 5.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const TIMEOUT_MS = 1000
/** The bounds plus a wide margin for a loaded machine; the issue measured 199.9 s. */
const ANSWER_BOUND_MS = 2 * TIMEOUT_MS + 5000

test('a frozen or cut PostgreSQL gets 503 + Retry-After within the bound; /health answers; service resumes', async (t) => {
  const direct = await createTestDatabase(t)
  if (direct === undefined) return
  const target = new URL(direct)
  const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432))
  t.after(() => proxy.close())
  const viaProxy = new URL(direct)
  viaProxy.port = String(proxy.port)
  const app = await build(t, { DATABASE_URL: viaProxy.toString(), DB_CONNECT_TIMEOUT_MS: TIMEOUT_MS, DB_QUERY_TIMEOUT_MS: TIMEOUT_MS, CONTACTS_CACHE_TTL_MS: 0 })
  assert.equal((await app.inject('/contacts/1')).statusCode, 200)

  for (const mode of ['freeze', 'cut'] as const) {
    proxy.setMode(mode)
    for (const url of ['/contacts/1', '/']) {
      const started = Date.now()
      const response = await app.inject({ url, headers: { accept: 'text/html' } })
      const ms = Date.now() - started
      t.diagnostic(`${mode}: GET ${url} answered ${response.statusCode} in ${ms} ms`)
      assert.equal(response.statusCode, 503, `${mode} ${url}: ${response.body.slice(0, 200)}`)
      assert.equal(response.headers['retry-after'], '5')
      assert.match(response.body, /The database is unavailable right now/)
      assert.ok(ms < ANSWER_BOUND_MS, `${mode}: GET ${url} took ${ms} ms (bound ${ANSWER_BOUND_MS})`)
    }
    assert.equal((await app.inject('/health')).statusCode, 200)
    const ready = await app.inject('/ready')
    assert.equal(ready.statusCode, 503)
    assert.equal(ready.json().database, 'unavailable', 'the dependency is named, its error text is not shown')
  }

  proxy.setMode('pass')
  let status = 0
  for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
    status = (await app.inject('/contacts/1')).statusCode
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(status, 200, 'pages are served again once PostgreSQL answers')
})

test('a database that refuses connections at start-up fails within the connect bound, naming DATABASE_URL', async () => {
  const proxy = await TcpProxy.start('127.0.0.1', 5432)
  proxy.setMode('freeze')
  const { openDatabase } = await import('../../src/db/database.js')
  try {
    const started = Date.now()
    await assert.rejects(openDatabase({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/test`, DATA_DIR: 'unused', DEMO_CONTACTS: 0, DB_CONNECT_TIMEOUT_MS: TIMEOUT_MS }),
      /Cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test \(.*timeout.*\)\. .*DATABASE_URL/i)
    assert.ok(Date.now() - started < ANSWER_BOUND_MS)
  } finally {
    await proxy.close()
  }
})
