// TRUST_PROXY decides whose X-Forwarded-For becomes request.ip (per-address limits, logs).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { trustProxyOption } from '../../src/server/trust-proxy.js'
import { loadConfig } from '../../src/config.js'

async function ipSeen (trustProxy: string | undefined, forwardedFor: string): Promise<string> {
  const app = Fastify({ trustProxy: trustProxyOption(trustProxy) })
  app.get('/', async (request) => request.ip)
  const response = await app.inject({ url: '/', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': forwardedFor } })
  await app.close()
  return response.body
}

test('unset or false: the peer address, whatever the headers say', async () => {
  assert.equal(await ipSeen(undefined, '203.0.113.7'), '127.0.0.1')
  assert.equal(await ipSeen('false', '203.0.113.7'), '127.0.0.1')
})

test('the proxy address (as deploy/ uses it) or one hop: the client nginx saw', async () => {
  assert.equal(await ipSeen('127.0.0.1', '203.0.113.7'), '203.0.113.7')
  assert.equal(await ipSeen('127.0.0.1/8,10.0.0.0/8', '203.0.113.7'), '203.0.113.7')
  assert.equal(await ipSeen('1', '198.51.100.1, 203.0.113.7'), '203.0.113.7', 'a forged first entry is not believed')
})

test('a proxy list that does not include the peer is not believed', async () => {
  assert.equal(await ipSeen('10.0.0.1', '203.0.113.7'), '127.0.0.1')
})

test('TRUST_PROXY accepts true, false, hop counts and address lists only', () => {
  for (const value of ['true', 'false', '1', '127.0.0.1', '10.0.0.0/8,::1']) assert.equal(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY, value)
  for (const value of ['yes', 'nginx', '1 2']) assert.throws(() => loadConfig({ TRUST_PROXY: value }), /TRUST_PROXY/)
})
