// Test helpers for component authors: an app with only the component system, the app's error
// handler and the given component plugins (no database, no broker), a component rendered to HTML, and a route called
// as htmx calls it; for live components, a page's stream read as parsed events and a change
// announced with its delivery awaited.
import type { TestContext } from 'node:test'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { AppConfig } from '../../src/config.js'
import { installErrorHandlers } from '../../src/http/errors.js'
import { buildComponentsOnly } from './build.js'
import { SseTestClient } from './sse-client.js'
import { waitFor } from './wait.js'
import brokerPlugin from '../../plugins/app/broker.js'
import livePlugin from '../../plugins/app/live.js'
import livePagesPlugin from '../../plugins/app/live-pages.js'
import rateLimitPlugin from '../../plugins/external/rate-limit.js'
import broadcastsPlugin from '../../plugins/app/broadcasts.js'
import databasePlugin from '../../plugins/app/database.js'
import contactsPlugin from '../../plugins/app/contacts.js'
import { broadcastChannel } from '../../src/components/live-element.js'
import { isComponent, type Change, type Component } from '../../src/components/define.js'
import { componentsPlugin } from '../../src/components/load.js'

/** What a test app registers: a component definition (the default export of components/x/index.ts) or a plugin. */
export type ComponentOrPlugin = Component<any> | FastifyPluginAsync

function pluginOf (item: ComponentOrPlugin): FastifyPluginAsync {
  return isComponent(item) ? componentsPlugin(item) : item as FastifyPluginAsync
}

/** The component system plus these components (e.g. the default export of components/x/index.ts) or plugins. */
export async function buildWithComponents (t: TestContext, ...plugins: ComponentOrPlugin[]): Promise<FastifyInstance>
export async function buildWithComponents (t: TestContext, overrides: Partial<AppConfig>, ...plugins: ComponentOrPlugin[]): Promise<FastifyInstance>
export async function buildWithComponents (t: TestContext, ...rest: Array<ComponentOrPlugin | Partial<AppConfig>>): Promise<FastifyInstance> {
  const overrides = typeof rest[0] === 'object' && !isComponent(rest[0]) ? rest.shift() as Partial<AppConfig> : {}
  const app = await buildComponentsOnly(t, overrides)
  installErrorHandlers(app) // errors answer as in the app: fragments with data-code
  for (const plugin of rest as ComponentOrPlugin[]) await app.register(pluginOf(plugin))
  await app.ready()
  return app
}

/** The component's HTML (props are validated as in any render). */
export async function renderComponent (app: FastifyInstance, name: string, props: object = {}): Promise<string> {
  return (await app.components.render(name, props)).html
}

export interface RouteAnswer {
  statusCode: number
  html: string
  /** The stable error code of an error answer (e.g. FLC_BAD_PARAMETER). */
  code: string | undefined
  headers: Record<string, unknown>
}

/** GET (or another method) as htmx sends it: HX-Request set, errors as HTML fragments with data-code. */
export async function callRoute (app: FastifyInstance, url: string, options: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', payload?: Record<string, string> } = {}): Promise<RouteAnswer> {
  const response = await app.inject({
    method: options.method ?? 'GET',
    url,
    headers: { 'hx-request': 'true', ...(options.payload === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
    ...(options.payload === undefined ? {} : { payload: new URLSearchParams(options.payload).toString() })
  })
  return {
    statusCode: response.statusCode,
    html: response.body,
    code: /data-code="([^"]+)"/.exec(response.body)?.[1],
    headers: response.headers
  }
}

/**
 * Opens a page's stream as a browser would (the app must listen): GETs the page, follows its
 * sse-connect (token and each channel's newest id) and reads the stream as parsed events
 * (client.events: { event, data, lastEventId }). Live component updates are the events named
 * "broadcast.<component>". Closed when the test ends.
 */
export async function openPageStream (t: TestContext, app: FastifyInstance, path = '/', headers: Record<string, string> = {}): Promise<SseTestClient> {
  const stream = await pageStream(app, path)
  const client = await SseTestClient.connect(stream.url, { ...stream.headers, ...headers })
  t.after(() => client.close())
  return client
}

/**
 * The stream a page was rendered with: its URL (token and each channel's newest id) and the
 * headers a browser would send with it (the page's cookies: private channels are read only by
 * the session they belong to).
 */
export async function pageStream (app: FastifyInstance, path = '/'): Promise<{ url: string, headers: Record<string, string> }> {
  const base = listeningUrl(app)
  const response = await fetch(`${base}${path}`)
  const html = await response.text()
  const connect = /(?:sse-connect|hx-sse:connect)="([^"]+)"/.exec(html)?.[1]
  if (connect === undefined) throw new Error(`${path} has no page stream (no live component joined it)`)
  const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ')
  return { url: `${base}${connect.replace(/&amp;/g, '&')}`, headers: cookies === '' ? {} : { cookie: cookies } }
}

/** The stream URL a page was rendered with (pages with private channels: use pageStream for its cookies too). */
export async function pageStreamUrl (app: FastifyInstance, path = '/'): Promise<string> {
  return (await pageStream(app, path)).url
}

/**
 * The component system, the in-process broker, page streams and broadcasts, plus these
 * component plugins; listening on a free port (a live component's test needs no database).
 */
export async function buildLiveWithComponents (t: TestContext, ...plugins: ComponentOrPlugin[]): Promise<FastifyInstance> {
  return await buildLive(t, false, plugins)
}

/**
 * As buildLiveWithComponents, with the database (embedded PGlite in memory, empty, migrated) and
 * fastify.contacts, whose writes announce "contacts" and "contact:<id>": for components that
 * read the database. No service needed.
 */
export async function buildLiveWithDatabase (t: TestContext, ...plugins: ComponentOrPlugin[]): Promise<FastifyInstance> {
  return await buildLive(t, true, plugins)
}

async function buildLive (t: TestContext, withDatabase: boolean, plugins: ComponentOrPlugin[]): Promise<FastifyInstance> {
  const overrides = { STREAMS_PER_CLIENT: 100_000, ...(withDatabase ? { DATA_DIR: 'memory://', DEMO_CONTACTS: 0 } : {}) }
  const app = await buildComponentsOnly(t, overrides, withDatabase ? [databasePlugin, contactsPlugin] : [])
  installErrorHandlers(app)
  await app.register(brokerPlugin, { connectionName: 'flc-test' })
  await app.register(livePlugin)
  await app.register(rateLimitPlugin)
  await app.register(livePagesPlugin)
  await app.register(broadcastsPlugin)
  for (const plugin of plugins) await app.register(pluginOf(plugin))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

/** Renders a live component as a page would and opens that page's stream (parsed events). */
export async function openComponentStream (t: TestContext, app: FastifyInstance, name: string, props: object = {}): Promise<SseTestClient> {
  const page = app.livePages.page()
  await app.components.renderInPage(name, props, page)
  const connect = /(?:sse-connect|hx-sse:connect)="([^"]+)"/.exec(page.attributes())?.[1]
  if (connect === undefined) throw new Error(`${name} did not join the page stream: is it live (defineComponent({ live: { tags } }))?`)
  const client = await SseTestClient.connect(`${listeningUrl(app)}${connect.replace(/&amp;/g, '&')}`)
  t.after(() => client.close())
  return client
}

/**
 * Announces a change (as a write through the app does) and resolves with the HTML of the
 * component's next update on the stream.
 */
export async function announceAndWait (app: FastifyInstance, client: SseTestClient, component: string, tags: string[], change: Omit<Change, 'tags'> = {}, timeoutMs?: number): Promise<string> {
  const event = app.components.get(component).live?.channel ?? broadcastChannel(component)
  const before = client.data(event).length
  app.broadcasts.announce(tags, change)
  await client.waitFor((c) => c.data(event).length > before, `an update of ${component}`, timeoutMs)
  return client.data(event)[before] as string
}

/**
 * Publishes a message on a channel component's channel (as any publisher does) and resolves
 * with the HTML of the component's next update on the page stream. timeoutMs: how long to wait
 * (default 15 s).
 */
export async function publishAndWait (app: FastifyInstance, client: SseTestClient, component: string, payload: string, timeoutMs?: number): Promise<string> {
  const channel = app.components.get(component).live?.channel
  if (channel === undefined) throw new Error(`${component} is not live`)
  const before = client.data(channel).length
  await app.broker.publish(channel, payload)
  await client.waitFor((c) => c.data(channel).length > before, `an update of ${component} (a message its live.message check rejects sends nothing: see publishAndDrop)`, timeoutMs)
  return client.data(channel)[before] as string
}

/**
 * Publishes a message a channel component must reject, and resolves with the reason its
 * live.message check gave, once the drop is counted (it fails when nothing is dropped in time).
 */
export async function publishAndDrop (app: FastifyInstance, component: string, payload: string, timeoutMs = 15_000): Promise<string> {
  const stream = app.broadcasts.add(app.components.get(component))
  if (stream === undefined) throw new Error(`${component} is not live`)
  const total = () => Object.values(stream.stats().dropped).reduce((sum, n) => sum + n, 0)
  const before = { ...stream.stats().dropped }
  const dropped = total()
  await app.broker.publish(stream.channel, payload)
  await waitFor(() => total() !== dropped, { what: `${component} to drop the message (was it rendered?)`, timeoutMs })
  const reason = Object.entries(stream.stats().dropped).find(([key, count]) => count > (before[key] ?? 0))?.[0]
  return reason ?? 'unknown'
}

function listeningUrl (app: FastifyInstance): string {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('The app must listen (await app.listen({ port: 0, host: "127.0.0.1" }))')
  return `http://127.0.0.1:${address.port}`
}

/**
 * Broadcast renders of the contact components: the page's presence component is rendered too
 * (as pages open and close, whenever that lands), so its renders are left out.
 */
export function contactRenders (app: FastifyInstance): () => number {
  let presence = 0
  const components = app.components
  const render = components.renderBroadcast.bind(components)
  components.renderBroadcast = async (name, props) => {
    if (name === 'presence') presence++
    return await render(name, props)
  }
  return () => app.broadcasts.stats().renders - presence
}
