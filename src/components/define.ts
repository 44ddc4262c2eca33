// A component: one folder holding its Handlebars template, optional CSS and JS, and an index.ts
// that defines it with defineComponent() and registers it (see components/*/index.ts).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Static, TObject } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'

/** What a component's data function can reach while it renders. */
export interface RenderContext {
  app: FastifyInstance
  /** The request being answered; absent when rendering outside a request (live pushes). */
  request?: FastifyRequest
  /** Present when rendering a full page with a page stream: live components join it. */
  page?: LivePage
  /** Rendering a live component's update for the page stream: its content, without its element. */
  broadcast?: boolean
}

/** The page stream of the page being rendered: every live component's channel joins it. */
export interface LivePage {
  /**
   * Adds a channel to the page's one stream. lastId: the channel's newest id now (null: empty;
   * undefined: unknown, the broker did not answer). Answers the SSE event name to swap on
   * (sse-swap) and the channel's place in the stream's cursor.
   */
  join (channel: string, lastId: string | null | undefined): LivePageSlot
}

export interface LivePageSlot {
  /** SSE event name of the channel on the page stream. */
  event: string
  /** The channel's place in the stream's cursor (data-live-index). */
  index: number
  /** htmx 2: the component swaps with sse-swap="{{event}}"; htmx 4 has no sse-swap (the page runtime swaps). */
  sseSwap: boolean
}

export interface ComponentOptions<P extends TObject> {
  /** Unique name, used by {{component "name"}} and in asset URLs: lower case, digits, _ */
  name: string
  /** The component's folder: pass sourceDirOf(import.meta.url). */
  dir: string
  /** Schema of the props; every render validates them. */
  props: P
  /** Turns validated props into template data (may load from the database). */
  data?: (props: Static<P>, ctx: RenderContext) => Promise<object> | object
  /** Template file in dir. Default: template.hbs */
  template?: string
  /** CSS files in dir emitted once per page. Default: style.css when it exists. */
  css?: string[]
  /** JS files in dir emitted once per page. Default: script.js when it exists. */
  js?: string[]
  /**
   * Cache the rendered HTML per props, for ttlMs (a number, or read from the app's config).
   * Only for components whose output depends on props and data alone (not on the request).
   * fastify.components.invalidate(tag) drops entries of a tag, in every process.
   */
  cache?: ComponentCacheOptions
  /**
   * Makes the component live: a write announcing one of these data tags re-renders it (once
   * per process, never once per browser) and pushes the HTML to every page showing it.
   */
  live?: ComponentLiveOptions<P>
}

/** What an announcement says changed (a repository write, or a call from outside the app). */
export interface Change {
  tags: string[]
  kind?: 'create' | 'update' | 'delete'
  /** Id of the item written, when one was. */
  id?: number
}

/** What a live component's message check answers: the data of the update, or why it is dropped. */
export type LiveMessageCheck =
  | { ok: true, value: object }
  | { ok: false, reason: string, detail?: string }

/**
 * A family of private channels, one per key (e.g. one per browser session): the component joins
 * "<prefix>:<key>" instead of its public channel when key() answers one. Only requests that
 * authorize() accepts may read a key's channel (checked at open and at every token renewal).
 */
export interface LiveFamilyOptions<P extends TObject> {
  prefix: string
  /** The key of this render, or undefined for the public channel; throw to refuse the render. */
  key: (props: Static<P>, ctx: RenderContext) => string | undefined
  authorize: (key: string, request: FastifyRequest) => boolean
}

export interface ComponentLiveOptions<P extends TObject> {
  /**
   * Data tags that make it live, e.g. ['contacts'] or ['contact:42']: a write announcing one
   * re-renders the component (props from props(change)). Give tags or channel, not both.
   */
  tags?: string[]
  /**
   * Or a broker channel whose every message is an update (an event feed such as notification):
   * message() checks each published payload and gives the data its update renders with.
   */
  channel?: string
  /** With channel: checks one published payload (hostile: anyone may publish). */
  message?: (payload: string) => LiveMessageCheck
  /**
   * Template (in the component's folder) of each update, e.g. "message.hbs": rendered with
   * message()'s value. Default: the component's own template, with that value as its props.
   */
  update?: string
  /** How an update lands: replace its content (default), or prepend / append an item. */
  swap?: 'replace' | 'prepend' | 'append'
  /** Tags: props to render for a change; undefined: this change sends nothing. Default: {} for every change. */
  props?: (change: Change) => Static<P> | undefined
  /**
   * The element around it on the page (default "div"; "tbody" in a table), and its id.
   * false: the template draws its element itself and puts {{{live.attributes}}} in its tag.
   */
  element?: string | false
  id?: string
  /**
   * Path of the component's own SSE stream route (e.g. "/notification/"), registered with
   * fastify.route(fastify.broadcasts.route(component)). Outside a page stream the component then
   * connects to it. Its frames are named `event` (default: the channel's name).
   */
  stream?: string
  event?: string
  /** Private per-key channels (e.g. a feed of this browser session only). */
  family?: LiveFamilyOptions<P>
}

/** A live component's declaration, checked and completed by defineComponent(). */
export interface ComponentLive<P extends TObject = TObject> {
  /** Empty for a channel component. */
  tags: string[]
  /** Its broker channel: the declared one, or "broadcast.<name>" for a tags component. */
  channel: string
  swap: 'replace' | 'prepend' | 'append'
  element: string | false
  id?: string
  props?: (change: Change) => Static<P> | undefined
  message?: (payload: string) => LiveMessageCheck
  update?: string
  stream?: string
  /** Frame name on its own stream route. */
  event: string
  family?: LiveFamilyOptions<P>
}

export interface ComponentCacheOptions {
  ttlMs: number | ((ctx: RenderContext) => number)
  tags?: string[]
}

export interface Component<P extends TObject = TObject> {
  readonly name: string
  readonly dir: string
  readonly props: P
  readonly templatePath: string
  readonly css: readonly string[]
  readonly js: readonly string[]
  readonly propsCheck: TypeCheck<P>
  readonly data: (props: Static<P>, ctx: RenderContext) => Promise<object> | object
  readonly cache: { ttlMs: (ctx: RenderContext) => number, tags: readonly string[] } | undefined
  readonly live: ComponentLive<P> | undefined
}

/** A component name: lower-case letters, digits and _, starting with a letter. */
export const COMPONENT_NAME = /^[a-z][a-z0-9_]*$/

function assetList (dir: string, given: string[] | undefined, fallback: string, component: string): string[] {
  const files = given ?? (existsSync(join(dir, fallback)) ? [fallback] : [])
  for (const file of files) {
    if (file.includes('/') || file.includes('\\') || !/\.(css|js)$/.test(file)) {
      throw new Error(`Component "${component}": asset "${file}" must be a .css or .js file directly in ${dir}`)
    }
    if (!existsSync(join(dir, file))) throw new Error(`Component "${component}": asset file ${join(dir, file)} does not exist`)
  }
  return files
}

function cacheOf (options: ComponentCacheOptions | undefined): Component['cache'] {
  if (options === undefined) return undefined
  const { ttlMs } = options
  return { ttlMs: typeof ttlMs === 'function' ? ttlMs : () => ttlMs, tags: [...(options.tags ?? [])] }
}

const TAG = /^[A-Za-z0-9_.:-]{1,100}$/
const CHANNEL = /^[A-Za-z0-9_.:-]{1,200}$/
const EVENT = /^[A-Za-z0-9_.:-]{1,100}$/
const FAMILY_PREFIX = /^[A-Za-z0-9_.-]{1,40}$/
const ELEMENT = /^[a-z][a-z0-9]{0,20}$/
const ELEMENT_ID = /^[A-Za-z][A-Za-z0-9_-]{0,100}$/
const STREAM_PATH = /^\/[A-Za-z0-9_./-]{0,200}$/

/** The broker channel (and page stream event) of a tags component's updates. */
export function broadcastChannel (component: string): string {
  return `broadcast.${component}`
}

/**
 * Whether a channel carries a tags component's updates: only the app writes those (coalesced,
 * once per change); outside writers announce by tag instead (XADD <prefix>broadcast:announcements).
 */
export function isBroadcastChannel (channel: string): boolean {
  return channel.startsWith('broadcast.')
}

function liveOf<P extends TObject> (name: string, options: ComponentLiveOptions<P> | undefined): ComponentLive<P> | undefined {
  if (options === undefined) return undefined
  const fail = (what: string): never => { throw new Error(`Component "${name}": live.${what}`) }
  const { tags, channel } = options
  if ((tags === undefined) === (channel === undefined)) fail('needs either tags (data that makes it live, e.g. ["contacts"]) or channel (a broker channel of events, e.g. "notifications_channel"), not both')
  if (tags !== undefined && (!Array.isArray(tags) || tags.length === 0 || !tags.every((tag) => TAG.test(tag)))) fail('tags must be a non-empty list of data tags (1-100 letters, digits, _ . : -), e.g. ["contacts"]')
  if (channel !== undefined) {
    if (typeof channel !== 'string' || !CHANNEL.test(channel) || channel.startsWith('broadcast.')) fail('channel must be 1-200 letters, digits or _ . : - and not start with "broadcast." (the channels of tags components)')
    if (typeof options.message !== 'function') fail('message is required with channel: it checks each published payload, e.g. (payload) => ({ ok: true, value: JSON.parse(payload) })')
    if (options.props !== undefined) fail('props is for tags components; a channel component gets its update data from message()')
  } else if (options.message !== undefined || options.update !== undefined) {
    fail('message and update are for channel components (live.channel); a tags component renders itself with props(change)')
  }
  const swap = options.swap ?? 'replace'
  if (!['replace', 'prepend', 'append'].includes(swap)) fail('swap must be "replace", "prepend" or "append"')
  if (tags !== undefined && swap !== 'replace' && options.props === undefined) fail('props is required with prepend/append: it turns a change into the props of the item to render')
  const element = options.element ?? 'div'
  if (element !== false && (typeof element !== 'string' || !ELEMENT.test(element))) fail('element must be a lower-case HTML element name, e.g. "tbody", or false when the template draws it with {{{live.attributes}}}')
  if (options.id !== undefined && !ELEMENT_ID.test(options.id)) fail('id must be a valid HTML id (a letter, then letters, digits, _ or -)')
  if (options.update !== undefined && (typeof options.update !== 'string' || !/^[\w.-]+\.hbs$/.test(options.update))) fail('update must be a .hbs file directly in the component\'s folder, e.g. "message.hbs"')
  if (options.stream !== undefined && (typeof options.stream !== 'string' || !STREAM_PATH.test(options.stream))) fail('stream must be a URL path, e.g. "/notification/"')
  const liveChannel = channel ?? broadcastChannel(name)
  const event = options.event ?? liveChannel
  if (!EVENT.test(event)) fail('event must be 1-100 letters, digits or _ . : -')
  const family = options.family
  if (family !== undefined && (!FAMILY_PREFIX.test(family.prefix) || typeof family.key !== 'function' || typeof family.authorize !== 'function')) {
    fail('family needs prefix (1-40 letters, digits or _ . -), key(props, ctx) and authorize(key, request)')
  }
  return { tags: [...(tags ?? [])], channel: liveChannel, swap, element, id: options.id, props: options.props, message: options.message, update: options.update, stream: options.stream, event, family }
}

export function defineComponent<P extends TObject> (options: ComponentOptions<P>): Component<P> {
  const { name, dir } = options
  if (typeof name !== 'string' || !COMPONENT_NAME.test(name)) {
    throw new Error(`Component name ${JSON.stringify(name)} is invalid: use lower-case letters, digits and _ (e.g. "click_to_load")`)
  }
  const templatePath = join(dir, options.template ?? 'template.hbs')
  if (!existsSync(templatePath)) {
    throw new Error(`Component "${name}": template ${templatePath} does not exist (pass dir: sourceDirOf(import.meta.url))`)
  }
  const live = liveOf(name, options.live)
  if (live?.element === false && options.cache !== undefined) {
    throw new Error(`Component "${name}": a live component drawing its own element (live.element false) cannot be cached: its live attributes differ per page`)
  }
  const propsCheck = TypeCompiler.Compile(options.props)
  // Updates are rendered once per process for every page, with props(change) (default {}):
  // props the page passed are not known then, so {} must be valid props or props() must say.
  if (live !== undefined && live.tags.length > 0 && live.props === undefined && !propsCheck.Check({})) {
    throw new Error(`Component "${name}": live.props is required: an update is rendered once for every page showing it, with props(change) (default {}), and {} is not valid props of this component (make its props optional, or derive them from the change, e.g. props: (change) => ({ id: change.id }))`)
  }
  if (live?.update !== undefined && !existsSync(join(dir, live.update))) throw new Error(`Component "${name}": live.update template ${join(dir, live.update)} does not exist`)
  return {
    name,
    dir,
    props: options.props,
    templatePath,
    css: assetList(dir, options.css, 'style.css', name),
    js: assetList(dir, options.js, 'script.js', name),
    propsCheck,
    data: options.data ?? ((props) => props),
    cache: cacheOf(options.cache),
    live
  }
}
