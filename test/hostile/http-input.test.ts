// HTTP input of every shape: POST bodies within the size limit get a 4xx or a 2xx, never a 500;
// control characters never reach rendered HTML; pages carry the security headers and a strict
// Content-Security-Policy. (Issue 8, findings 8 and 9.)
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { MAX_MESSAGE_BYTES } from '../../src/components/message.js'

const TOKEN = 'hostile-token-0123456789abcdef'

async function app (t: TestContext): Promise<FastifyInstance | undefined> {
  const url = await createTestDatabase(t)
  return url === undefined ? undefined : await build(t, { DATABASE_URL: url, NOTIFICATIONS_TOKEN: TOKEN, DEMO_CONTACTS: 0 })
}

const valid = { title: 't', message: 'm', color: 'red' }
const deep = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth)

/** Bodies a hostile caller with a valid token might send; each must get a 2xx or a 4xx. */
export const BODIES: Array<[string, string]> = [
  ['deeply nested array (40 KB)', deep(20_000, '[', ']')],
  ['deeply nested object in an extra field', JSON.stringify(valid).slice(0, -1) + ',"extra":' + deep(5000, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}') + '}'],
  ['nested array in an extra field', JSON.stringify(valid).slice(0, -1) + ',"extra":' + deep(15_000, '[', ']') + '}'],
  ['__proto__ key', '{"__proto__":{"polluted":true},"title":"t","message":"m","color":"red"}'],
  ['constructor.prototype key', '{"constructor":{"prototype":{"polluted":true}},"title":"t","message":"m","color":"red"}'],
  ['not JSON', '{title'],
  ['empty', ''],
  ['null', 'null'],
  ['a number', '1e309'],
  ['a string', '"x"'],
  ['array of messages', `[${JSON.stringify(valid)}]`],
  ['huge number id', JSON.stringify({ ...valid, id: 1e308 })],
  ['lone surrogate', '{"title":"\\ud800","message":"m","color":"red"}'],
  ['NUL and ESC', JSON.stringify({ ...valid, title: 'a\u0000b\u001b[31mc' })],
  ['CSS injection in color', JSON.stringify({ ...valid, color: 'red;background:url(//evil)' })],
  ['oversized field', JSON.stringify({ ...valid, message: 'x'.repeat(MAX_MESSAGE_BYTES - 100) })],
  ['duplicate keys', '{"title":"a","title":"b","message":"m","color":"red"}']
]

test('every POST body within the size limit gets a 2xx or a 4xx, never a 500', async (t) => {
  const fastify = await app(t)
  if (fastify === undefined) return
  for (const [name, body] of BODIES) {
    assert.ok(Buffer.byteLength(body) <= MAX_MESSAGE_BYTES, `${name} is within the limit`)
    const response: LightMyRequestResponse = await fastify.inject({ method: 'POST', url: '/notifications', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: body })
    assert.ok(response.statusCode < 500, `${name}: ${response.statusCode} ${response.body.slice(0, 200)}`)
    if (name === '__proto__ key' || name === 'constructor.prototype key') {
      assert.equal(response.statusCode, 202, `${name}: the key is dropped, the message accepted`)
    }
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted')
})

test('control characters are removed before rendering', async (t) => {
  const fastify = await app(t)
  if (fastify === undefined) return
  const html: string[] = []
  const unsubscribe = await fastify.broker.subscribe('notifications_channel', () => {})
  t.after(unsubscribe)
  const response: LightMyRequestResponse = await fastify.inject({ method: 'POST', url: '/notifications', headers: { authorization: `Bearer ${TOKEN}` }, payload: { title: 'a\u0000b\u001bc\u007f\u0085d', message: 'x\u0007y\ttab', color: 'red' } })
  assert.equal(response.statusCode, 202)
  const history = await fastify.broker.readAfter('notifications_channel', '0-0')
  for (const message of history.messages) html.push(message.payload)
  assert.deepEqual(JSON.parse(html.at(-1)!), { title: 'abcd', message: 'xy\ttab', color: 'red' })
})

test('a wrong token of any length is refused the same way', async (t) => {
  const fastify = await app(t)
  if (fastify === undefined) return
  for (const token of ['x', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.replace(/.$/, 'Z'), 'x'.repeat(4000)]) {
    const response: LightMyRequestResponse = await fastify.inject({ method: 'POST', url: '/notifications', headers: { authorization: `Bearer ${token}` }, payload: valid })
    assert.equal(response.statusCode, 401, token.slice(0, 20))
  }
})

test('pages carry a strict Content-Security-Policy, nosniff, no framing and a Referrer-Policy', async (t) => {
  const fastify = await app(t)
  if (fastify === undefined) return
  for (const url of ['/', '/contacts/1', '/no-such-page']) {
    const response: LightMyRequestResponse = await fastify.inject({ url, headers: { accept: 'text/html' } })
    const csp = String(response.headers['content-security-policy'])
    assert.match(csp, /(^|;)script-src 'self'(;|$)/, `${url}: scripts only from this origin`)
    assert.match(csp, /(^|;)style-src 'self'(;|$)/, `${url}: styles only from this origin`)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    assert.equal(response.headers['x-content-type-options'], 'nosniff')
    assert.equal(response.headers['referrer-policy'], 'strict-origin-when-cross-origin')
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN')
    // What the policy forbids must not be in the page.
    assert.doesNotMatch(response.body, /<script(?![^>]*\bsrc=)[^>]*>/, `${url}: no inline script`)
    assert.doesNotMatch(response.body, /\son[a-z]+=|\shx-on|\sstyle=/i, `${url}: no inline handlers or styles`)
  }
  assert.match((await fastify.inject('/')).body, /<meta name="htmx-config" content='\{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false\}'>/)
})
