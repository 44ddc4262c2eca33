// SECRET_KEYS: the first key signs, every key verifies (rotation); unset is a random key per
// process with one warning, and refused in production.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadSecretKeys, secretKeyList } from '../../src/security/keys.js'
import { ConfigError, loadConfig } from '../../src/config.js'

const OLD = 'o'.repeat(32)
const NEW = 'n'.repeat(40)
const quiet = { warn: () => {} }

test('the first key signs, all keys verify; a changed message or mac fails', () => {
  const before = loadSecretKeys({ NODE_ENV: 'test', SECRET_KEYS: OLD }, quiet)
  const rotated = loadSecretKeys({ NODE_ENV: 'test', SECRET_KEYS: `${NEW},${OLD}` }, quiet)
  const mac = before.sign('hello')
  assert.match(mac, /^[A-Za-z0-9_-]{43}$/)
  assert.ok(rotated.verify('hello', mac), 'a mac of the old key still verifies after rotation')
  assert.ok(rotated.verify('hello', rotated.sign('hello')))
  assert.ok(!before.verify('hello', rotated.sign('hello')), 'the new key signs')
  assert.ok(!rotated.verify('hello!', mac))
  assert.ok(!rotated.verify('hello', `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`))
  assert.ok(!rotated.verify('hello', ''))
})

test('unset: one random key for the process, warned about once; production refuses to start, naming SECRET_KEYS', () => {
  const warnings: string[] = []
  const log = { warn: (message: string) => warnings.push(message) }
  const first = secretKeyList({ NODE_ENV: 'development' }, log)
  assert.deepEqual(secretKeyList({ NODE_ENV: 'test' }, log), first, 'the same key for every user in the process')
  assert.ok((first[0] as string).length >= 32)
  assert.ok(warnings.length <= 1)
  assert.throws(() => secretKeyList({ NODE_ENV: 'production' }, log), /^Error: SECRET_KEYS is required when NODE_ENV=production/)
  assert.deepEqual(secretKeyList({ NODE_ENV: 'production', SECRET_KEYS: `${NEW},${OLD}` }, log), [NEW, OLD])
})

test('SECRET_KEYS with a short secret is a configuration error naming the variable', () => {
  assert.throws(() => loadConfig({ SECRET_KEYS: `${NEW},short` }), (error: Error) => error instanceof ConfigError && /SECRET_KEYS/.test(error.message))
  assert.equal(loadConfig({ SECRET_KEYS: `${NEW},${OLD}` }).SECRET_KEYS, `${NEW},${OLD}`)
})
