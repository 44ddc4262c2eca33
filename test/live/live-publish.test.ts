// POST /live/publish/<component>: any channel component fed over HTTP on the embedded defaults,
// safe by default (off without LIVE_PUBLISH_TOKEN, bearer-checked, schema-validated).
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/build.js'
import { SseTestClient } from '../helpers/sse-client.js'
import type { AppConfig } from '../../src/config.js'
import { projectRoot } from '../../src/paths.js'

const TOKEN = 'live-publish-test-token-0123456789'

async function startApp (t: TestContext, overrides: Partial<AppConfig> = {}): Promise<{ app: FastifyInstance, base: string }> {
  const app = await build(t, { DATA_DIR: 'memory://', DEMO_CONTACTS: 0, STREAMS_PER_CLIENT: 1000, ...overrides })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return { app, base: `http://127.0.0.1:${port}` }
}

async function publish (base: string, component: string, body: unknown, token: string | null = TOKEN): Promise<{ status: number, body: { code?: string, message?: string, id?: string } }> {
  const response = await fetch(`${base}/live/publish/${component}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: await response.json() as { code?: string, message?: string } }
}

const good = { title: 'Deployed', message: 'v2 is live', color: 'green' }

test('without LIVE_PUBLISH_TOKEN the route is off: 401 naming the variable', async (t) => {
  const { base } = await startApp(t)
  const answer = await publish(base, 'notification', good)
  assert.equal(answer.status, 401)
  assert.equal(answer.body.code, 'FLC_PUBLISHING_DISABLED')
  assert.match(answer.body.message ?? '', /set LIVE_PUBLISH_TOKEN/)
})

test('no token and a bad token are 401; a bad payload is 400 naming the field; an unknown component 404', async (t) => {
  const { base } = await startApp(t, { LIVE_PUBLISH_TOKEN: TOKEN })
  const missing = await publish(base, 'notification', good, null)
  assert.equal(missing.status, 401)
  assert.equal(missing.body.code, 'FLC_UNAUTHORIZED')
  const wrong = await publish(base, 'notification', good, `${TOKEN}x`)
  assert.equal(wrong.status, 401)
  assert.equal(wrong.body.code, 'FLC_UNAUTHORIZED')

  const noTitle = await publish(base, 'notification', { message: 'm', color: 'red' })
  assert.equal(noTitle.status, 400)
  assert.equal(noTitle.body.code, 'FLC_INVALID_MESSAGE')
  assert.match(noTitle.body.message ?? '', /title is required/)
  const badColor = await publish(base, 'notification', { ...good, color: 'red; background: url(x)' })
  assert.equal(badColor.status, 400)
  assert.match(badColor.body.message ?? '', /^color must be a CSS color name/)

  const unknown = await publish(base, 'no_such_thing', good)
  assert.equal(unknown.status, 404)
  assert.equal(unknown.body.code, 'FLC_UNKNOWN_COMPONENT')
  const tagsComponent = await publish(base, 'contact_count', good)
  assert.equal(tagsComponent.status, 404, 'only channel components take messages')
  assert.match(tagsComponent.body.message ?? '', /"notification"/, 'the answer lists the channel components')
})

test('a good payload reaches the component\'s own stream route, with only its known fields', async (t) => {
  const { base } = await startApp(t, { LIVE_PUBLISH_TOKEN: TOKEN })
  const client = await SseTestClient.connect(`${base}/notification/`)
  t.after(() => client.close())
  const answer = await publish(base, 'notification', { ...good, extra: { nested: true } })
  assert.equal(answer.status, 202)
  assert.match(answer.body.id ?? '', /^\d+-\d+$/)
  await client.waitFor((c) => c.data('notification').length > 0, 'the published notification')
  const html = client.data('notification')[0] ?? ''
  assert.match(html, /data-color="green"/)
  assert.match(html, /Deployed.*v2 is live/s)
})

test('npm run publish checks the message with the component\'s schema before publishing anything', () => {
  const env = { ...process.env, REDIS_URL: '', LIVE_PUBLISH_TOKEN: '' }
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'publish.ts'), ...args], { cwd: projectRoot, encoding: 'utf8', env })
  const bad = run('notification', '{"message":"m","color":"red"}')
  assert.equal(bad.status, 1)
  assert.match(bad.stderr, /title is required/)
  const unknown = run('nope', '{}')
  assert.equal(unknown.status, 1)
  assert.match(unknown.stderr, /No channel component "nope" \(channel components: "notification", "presence"\)/)
  const usage = run('notification')
  assert.equal(usage.status, 2)
  assert.match(usage.stderr, /usage: npm run publish/)
})

test('routes that plugins add answer through the app\'s error handler (an htmx caller gets the fragment with its code)', async (t) => {
  const app = await build(t, { DATA_DIR: 'memory://', DEMO_CONTACTS: 0, LIVE_PUBLISH_TOKEN: TOKEN })
  const refused = await app.inject({ method: 'POST', url: '/live/publish/notification', headers: { 'hx-request': 'true' }, payload: good })
  assert.equal(refused.statusCode, 401)
  assert.match(refused.headers['content-type'] as string, /^text\/html/)
  assert.match(refused.body, /^<div class="flc-error" role="alert" data-status="401" data-code="FLC_UNAUTHORIZED">/)
})
