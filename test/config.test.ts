import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig } from '../src/config.js'

test('defaults are the embedded setup', () => {
  const config = loadConfig({})
  assert.equal(config.PORT, 3000)
  assert.equal(config.HOST, '127.0.0.1')
  assert.equal(config.CONTACTS_PAGE_SIZE, 3)
  assert.equal(config.DATABASE_URL, undefined)
  assert.equal(config.REDIS_URL, undefined)
  assert.equal(config.DATA_DIR, './data')
  assert.equal(config.DEMO_PUBLISHER, 'auto')
})

test('values are read and converted', () => {
  const config = loadConfig({ PORT: '8080', CONTACTS_PAGE_SIZE: '25', DATABASE_URL: 'postgresql://u@h/db', REDIS_URL: 'redis://h:6379', LOG_LEVEL: 'warn' })
  assert.equal(config.PORT, 8080)
  assert.equal(config.CONTACTS_PAGE_SIZE, 25)
  assert.equal(config.DATABASE_URL, 'postgresql://u@h/db')
  assert.equal(config.REDIS_URL, 'redis://h:6379')
  assert.equal(config.LOG_LEVEL, 'warn')
})

test('an empty value counts as unset', () => {
  assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT, 3000)
  assert.equal(loadConfig({ DATABASE_URL: '' }).DATABASE_URL, undefined)
})

test('a bad value is one line naming the variable, the value and what is accepted', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^Invalid configuration: PORT="abc" is not accepted; expected an integer from 0 to 65535$/],
    [{ PORT: '70000' }, /PORT="70000"/],
    [{ PORT: '3e3' }, /PORT="3e3"/],
    [{ PORT: ' 80' }, /PORT=" 80"/],
    [{ CONTACTS_PAGE_SIZE: '0' }, /CONTACTS_PAGE_SIZE="0" is not accepted; expected an integer from 1 to 100/],
    [{ CONTACTS_PAGE_SIZE: '2.5' }, /CONTACTS_PAGE_SIZE="2.5"/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL="mysql:\/\/x" is not accepted; expected a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL="localhost:6379".*redis:\/\//],
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL="verbose".*fatal, error, warn, info, debug, trace or silent/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV="staging"/],
    [{ NOTIFICATIONS_TOKEN: 'short' }, /NOTIFICATIONS_TOKEN="short".*at least 16 printable characters/],
    [{ NOTIFICATIONS_TOKEN: 'a secret with spaces in it' }, /NOTIFICATIONS_TOKEN=.*without spaces/],
    [{ LIVE_PUBLISH_TOKEN: 'short' }, /LIVE_PUBLISH_TOKEN="short".*at least 16 printable characters/],
    [{ LIVE_PUBLISH_TOKEN: 'a secret with spaces in it' }, /LIVE_PUBLISH_TOKEN=.*without spaces/],
    [{ CHANNEL_PREFIX: 'a b' }, /CHANNEL_PREFIX="a b"/],
    [{ DEMO_PUBLISHER: 'yes' }, /DEMO_PUBLISHER="yes".*auto/]
  ]
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.match(error.message, message)
      assert.ok(!error.message.includes('\n'), 'one line')
      return true
    }, JSON.stringify(env))
  }
})

test('unknown variables are ignored', () => {
  assert.doesNotThrow(() => loadConfig({ SOMETHING_ELSE: 'x', PATH: '/bin' }))
})

test('TRUST_PROXY: a malformed address or CIDR range is a configuration error naming it, not a crash at start-up', () => {
  for (const value of ['999.1.1.1/99', '10.0.0.0/33', '::1/200', '1.2.3', '10.0.0.1/8/1']) {
    assert.throws(() => loadConfig({ TRUST_PROXY: value }), (error: Error) => error instanceof ConfigError && error.message.startsWith(`Invalid configuration: TRUST_PROXY=${JSON.stringify(value)}`), value)
  }
  for (const value of ['true', 'false', '1', '127.0.0.1', '10.0.0.0/8,127.0.0.1', '::1', 'fd00::/8']) {
    assert.equal(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY, value)
  }
})

test('METRICS_PORT equal to PORT is refused at once, naming the fix', () => {
  assert.throws(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' }), /METRICS_PORT=4000 is not accepted; expected a port other than PORT \(4000\)/)
  assert.equal(loadConfig({ PORT: '4000', METRICS_PORT: '4001' }).METRICS_PORT, 4001)
  assert.equal(loadConfig({ PORT: '0', METRICS_PORT: '0' }).METRICS_PORT, 0)
})

test('connection caps and timers that cannot work together are refused, naming the fix', () => {
  assert.throws(() => loadConfig({ STREAMS_PER_CLIENT: '100', CONNECTIONS_PER_CLIENT: '50' }), /CONNECTIONS_PER_CLIENT=50 .*at least STREAMS_PER_CLIENT \(100\)/)
  assert.throws(() => loadConfig({ STREAMS_MAX: '500', CONNECTIONS_MAX: '500' }), /STREAMS_MAX=500 .*less than CONNECTIONS_MAX \(500\)/)
  assert.throws(() => loadConfig({ HEADERS_TIMEOUT_MS: '40000', REQUEST_TIMEOUT_MS: '30000' }), /HEADERS_TIMEOUT_MS=40000 .*at most REQUEST_TIMEOUT_MS \(30000\)/)
  const config = loadConfig({ STREAMS_PER_CLIENT: '10', CONNECTIONS_PER_CLIENT: '10', STREAMS_MAX: '99', CONNECTIONS_MAX: '100' })
  assert.equal(config.CONNECTIONS_PER_CLIENT, 10)
  assert.equal(config.HEADERS_TIMEOUT_MS, 10_000)
  assert.equal(config.REQUEST_TIMEOUT_MS, 30_000)
  assert.equal(config.KEEP_ALIVE_TIMEOUT_MS, 10_000)
})
