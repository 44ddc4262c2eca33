// Presence through the whole app and real SSE sockets: a browser session is present on the
// demo page's topic while its page stream is open, and every open page sees the count change,
// on the in-process broker and across two instances sharing Redis.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildListening } from '../helpers/build.js'
import { SseTestClient } from '../helpers/sse-client.js'
import { redisPrefix, requireRedis } from '../helpers/services.js'

const EVENT = 'presence:contacts'
const METRICS_TOKEN = 'presence-metrics-token-0123456789'

/** A browser: its own cookies (a session), the page from one instance, its stream. */
async function openPage (t: TestContext, app: FastifyInstance, cookie?: string): Promise<{ client: SseTestClient, cookie: string, html: string }> {
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const page = await fetch(`${base}/`, { headers: cookie === undefined ? {} : { cookie } })
  const html = await page.text()
  const set = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const cookies = [cookie, set].filter((c) => c !== undefined && c !== '').join('; ')
  const connect = /(?:sse-connect|hx-sse:connect)="([^"]+)"/.exec(html)?.[1]
  assert.ok(connect !== undefined, 'the page has a stream')
  const client = await SseTestClient.connect(`${base}${connect.replace(/&amp;/g, '&')}`, { cookie: cookies })
  t.after(() => client.close())
  return { client, cookie: cookies, html }
}

const lastPresence = (client: SseTestClient): string => client.data(EVENT).at(-1) ?? ''
const waitText = async (client: SseTestClient, text: string) => await client.waitFor((c) => lastPresence(c).includes(text), `"${text}"`, 20_000)

test('in-process: the demo page counts sessions, not tabs, and updates every open page', async (t) => {
  const app = await buildListening(t, { DATA_DIR: 'memory://', DEMO_CONTACTS: 0, METRICS_TOKEN })
  const first = await openPage(t, app)
  assert.match(first.html, /Only you are here/, 'first visitor')
  const second = await openPage(t, app)
  assert.match(second.html, /2 people here/, 'the second visitor counts themself')
  await waitText(first.client, '2 people here')
  // A second tab of the second browser: still two people.
  const tab = await openPage(t, app, second.cookie)
  assert.match(tab.html, /2 people here/)
  second.client.close()
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.match(lastPresence(first.client), /2 people here/, 'the other tab of that browser is still open')
  tab.client.close()
  await waitText(first.client, 'Only you are here')
  assert.equal(app.presence.stats().held, 1)
  const metrics = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  assert.match(metrics.body, /^flc_presence_held 1$/m)
  assert.match(metrics.body, /^flc_presence_streams 1$/m)
  assert.match(metrics.body, /^flc_presence_updates_total [1-9]\d*$/m)
})

test('two instances on Redis: opening and closing a page on one updates the count on the other', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const shared = { REDIS_URL: url, CHANNEL_PREFIX: redisPrefix(t, url), SECRET_KEYS: randomBytes(32).toString('base64url'), DATA_DIR: 'memory://', DEMO_CONTACTS: 0 }
  const a = await buildListening(t, shared)
  const b = await buildListening(t, shared)
  const first = await openPage(t, a)
  const second = await openPage(t, b)
  assert.match(second.html, /2 people here/)
  await waitText(first.client, '2 people here')
  await waitText(second.client, '2 people here')
  // The same browser (session) opens a tab on the other instance: still two people.
  const third = await openPage(t, a, second.cookie)
  assert.match(third.html, /2 people here/)
  second.client.close()
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(await a.presence.count('contacts'), 2, 'the session is still open on instance a')
  third.client.close()
  await waitText(first.client, 'Only you are here')
  assert.equal(await b.presence.count('contacts'), 1)
})

test('an instance stopping gracefully takes its visitors out at once, not after the TTL', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  // A TTL far longer than the wait below: only the leave on shutdown can bring the count down.
  const shared = { REDIS_URL: url, CHANNEL_PREFIX: redisPrefix(t, url), SECRET_KEYS: randomBytes(32).toString('base64url'), DATA_DIR: 'memory://', DEMO_CONTACTS: 0, PRESENCE_TTL_MS: 3_600_000 }
  const a = await buildListening(t, shared)
  const b = await buildListening(t, shared)
  const first = await openPage(t, a)
  await openPage(t, b)
  await waitText(first.client, '2 people here')
  await b.close()
  await waitText(first.client, 'Only you are here')
})
