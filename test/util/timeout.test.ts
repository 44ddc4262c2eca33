// The one bounded wait: resolves like the work, or rejects with FLC_TIMEOUT (503) naming what
// did not answer; a late rejection of the work is never unhandled.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TimeoutError, withTimeout } from '../../src/util/timeout.js'

test('resolves and rejects like the work when it settles in time', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 10_000, 'the database'), 7)
  await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 10_000, 'the database'), /boom/)
})

test('a wait that never ends: TimeoutError with a stable code, 503, naming the dependency', async () => {
  const never = new Promise<never>(() => {})
  await assert.rejects(withTimeout(never, 1, 'the broker'), (error: Error & { code?: string, statusCode?: number }) => {
    assert.ok(error instanceof TimeoutError)
    assert.equal(error.code, 'FLC_TIMEOUT')
    assert.equal(error.statusCode, 503)
    assert.match(error.message, /^the broker did not answer within 1 ms$/)
    return true
  })
})

test('work that fails after the timeout is not an unhandled rejection', async () => {
  let fail: (error: Error) => void = () => {}
  const late = new Promise<never>((_resolve, reject) => { fail = reject })
  await assert.rejects(withTimeout(late, 1, 'Redis'), TimeoutError)
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  fail(new Error('too late'))
  await new Promise((resolve) => setImmediate(resolve))
  process.off('unhandledRejection', onUnhandled)
  assert.deepEqual(unhandled, [])
})
