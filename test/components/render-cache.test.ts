import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RenderCache } from '../../src/components/render-cache.js'

const entry = (html: string) => ({ html, used: [] })

test('entries live for their TTL', () => {
  const cache = new RenderCache()
  cache.set('a', entry('A'), 100, [], 1000)
  assert.equal(cache.get('a', 1099)?.html, 'A')
  assert.equal(cache.get('a', 1100), undefined)
  assert.equal(cache.size, 0, 'expired entries are dropped when met')
  cache.set('b', entry('B'), 0, [], 1000)
  assert.equal(cache.get('b', 1000), undefined, 'TTL 0 caches nothing')
  assert.equal(cache.hits, 1)
  assert.equal(cache.misses, 2)
})

test('the cache is bounded: the oldest entry goes first', () => {
  const cache = new RenderCache(3)
  for (const key of ['a', 'b', 'c', 'd']) cache.set(key, entry(key), 1000, [], 0)
  assert.equal(cache.size, 3)
  assert.equal(cache.get('a', 1), undefined)
  assert.equal(cache.get('d', 1)?.html, 'd')
})

test('invalidating a tag drops its entries and tells listeners unless told not to', () => {
  const cache = new RenderCache()
  cache.set('page1', entry('1'), 1000, ['contacts'], 0)
  cache.set('page2', entry('2'), 1000, ['contacts', 'other'], 0)
  cache.set('news', entry('n'), 1000, ['news'], 0)
  const heard: string[] = []
  cache.onInvalidate((tag) => heard.push(tag))
  cache.invalidate('contacts')
  assert.equal(cache.get('page1', 1), undefined)
  assert.equal(cache.get('page2', 1), undefined)
  assert.equal(cache.get('news', 1)?.html, 'n')
  cache.invalidate('news', false)
  assert.equal(cache.get('news', 1), undefined)
  assert.deepEqual(heard, ['contacts'], 'a remote invalidation is not sent back out')
})
