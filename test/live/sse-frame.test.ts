import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeComment, encodeEvent, encodeIdOnly, encodeRetry } from '../../src/live/stream/sse-frame.js'
import { compareIds, IdGenerator, isValidId } from '../../src/live/broker/ids.js'

test('encodeEvent writes one data: line per line for \\n, \\r\\n and \\r, keeping blank lines and indentation', () => {
  const frame = encodeEvent({ id: '5-0', event: 'notification', data: '<pre>\n  a\r\n b\rc\n\nd</pre>' })
  assert.equal(frame.toString('utf8'),
    'id: 5-0\nevent: notification\ndata: <pre>\ndata:   a\ndata:  b\ndata: c\ndata: \ndata: d</pre>\n\n')
})

test('encodeEvent keeps a trailing line break as a last empty data line', () => {
  assert.equal(encodeEvent({ data: 'x\n' }).toString(), 'data: x\ndata: \n\n')
})

test('encodeEvent refuses line breaks in id and event (they would forge fields)', () => {
  assert.throws(() => encodeEvent({ id: '1-0\ndata: evil', data: 'x' }), /must not contain line breaks/)
  assert.throws(() => encodeEvent({ event: 'a\rb', data: 'x' }), /must not contain line breaks/)
})

test('id-only, comment and retry frames', () => {
  assert.equal(encodeIdOnly('7-1').toString(), 'id: 7-1\n\n')
  assert.equal(encodeIdOnly('').toString(), 'id: \n\n')
  assert.equal(encodeComment('ping').toString(), ': ping\n\n')
  assert.equal(encodeRetry(2000).toString(), 'retry: 2000\n\n')
})

test('ids: validation and ordering by value, not by text', () => {
  assert.ok(isValidId('1700000000000-0'))
  assert.ok(isValidId('0-0'))
  for (const bad of ['', 'abc', '1-', '-1', '01-0', '1-0-0', ' 1-0', '1-0\n', '1'.repeat(21) + '-0']) {
    assert.equal(isValidId(bad), false, bad)
  }
  assert.ok(compareIds('9-0', '10-0') < 0)
  assert.ok(compareIds('10-2', '10-10') < 0)
  assert.ok(compareIds('11-0', '10-99') > 0)
  assert.equal(compareIds('10-3', '10-3'), 0)
})

test('IdGenerator: strictly increasing within a millisecond and when the clock goes back', () => {
  const times = [100, 100, 100, 99, 101]
  const ids = new IdGenerator(() => times.shift()!)
  assert.deepEqual([ids.next(), ids.next(), ids.next(), ids.next(), ids.next()], ['100-0', '100-1', '100-2', '100-3', '101-0'])
})
