// When Redis stops answering, pages still render (the live feed starts without a last id) and
// /ready says which dependency is down; /health, the liveness probe, stays ok.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { build } from '../helpers/build.js'
import { createTestDatabase, redisPrefix, requireRedis } from '../helpers/services.js'

test('a Redis that stops answering degrades the feed, not the page', async (t) => {
  const redisUrl = await requireRedis(t)
  const databaseUrl = redisUrl === undefined ? undefined : await createTestDatabase(t)
  if (redisUrl === undefined || databaseUrl === undefined) return
  const app = await build(t, { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, CHANNEL_PREFIX: redisPrefix(t, redisUrl, 'flc_outage') })

  const ready = await app.inject('/ready')
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(ready.json(), { status: 'ready', database: 'ok', broker: 'ok' })
  assert.match((await app.inject('/')).body, /sse-connect="\/live\/\?s=[^"&]+&amp;lastEventId=[^"]+"/)

  const admin = new Redis(redisUrl)
  t.after(() => admin.disconnect())
  await admin.call('CLIENT', 'PAUSE', '2500', 'ALL') // every client's commands now wait
  try {
    const page = await app.inject('/')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /sse-connect="\/live\/\?s=[^"&]+"/, 'the page stream starts live, without a cursor')
    assert.match(page.body, /<tbody id="contacts-body">/)

    const notReady = await app.inject('/ready')
    assert.equal(notReady.statusCode, 503)
    assert.equal(notReady.json().database, 'ok')
    assert.deepEqual(notReady.json(), { status: 'unavailable', database: 'ok', broker: 'unavailable' }, 'names the dependency, not its error text')
    assert.equal(notReady.headers['retry-after'], '5')
    assert.equal((await app.inject('/health')).statusCode, 200)
  } finally {
    await admin.call('CLIENT', 'UNPAUSE')
  }
  assert.equal((await app.inject('/ready')).statusCode, 200, 'ready again once Redis answers')
})
