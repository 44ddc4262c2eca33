// A component: one folder holding its Handlebars template, optional CSS and JS, and an index.ts
// whose default export is its definition (defineComponent(); loaded by src/components/load.ts).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Static, TObject } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { messageValidator, type MessageValidator } from './message.js'
import { sourceDirOf } from '../paths.js'
import { broadcastChannel, type Change, type LiveMessageCheck, type LivePage } from '../live/live-source.js'

export { broadcastChannel, isBroadcastChannel, type Change, type LiveMessageCheck, type LivePage, type LivePageSlot } from '../live/live-source.js'

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

export interface ComponentOptions<P extends TObject> {
  /** Unique name, used by {{component "name"}} and in asset URLs: lower case, digits, _ */
  name: string
  /**
   * The component's folder. Leave it out for a component folder (components/<name>/index.ts
   * default-exports the definition): the loader (src/components/load.ts) sets it.
   */
  dir?: string
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
  /** Its own GET route answering it as a fragment, e.g. '/contacts/:page' (see componentRoute). */
  route?: string
  /** Other routes of the component (registered by the loader, in their own encapsulated scope). */
  routes?: (fastify: FastifyInstance, component: ComponentFiles) => Promise<void> | void
  /**
   * Partials other templates may use by name ({{> contact_row}}): name → .hbs file in dir.
   * A template using a partial that no component declares stops start-up with its name.
   */
  partials?: Record<string, string>
}

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
  /**
   * With channel: the schema of a message (TypeBox, e.g. Type.Object({ text: Type.String() })):
   * the framework checks every published payload against it (and cleans its text), drops the
   * ones that fail (counted), and validates POST /live/publish/<name> bodies with it. Or a
   * function checking one raw payload yourself (hostile: anyone may publish).
   */
  message?: TObject | ((payload: string) => LiveMessageCheck)
  /**
   * Template (in the component's folder) of each update, e.g. "message.hbs": rendered with
   * message()'s value. Default: the component's own template, with that value as its props.
   */
  update?: string
  /** How an update lands: replace its content (default), or prepend / append an item. */
  swap?: 'replace' | 'prepend' | 'append'
  /**
   * Replace updates morph the content the page has (default true): focus, caret, typed text,
   * an open <select> or <details> survive. false: the content is swapped whole (innerHTML).
   */
  morph?: boolean
  /** Tags: props to render for a change; undefined: this change sends nothing. Default: {} for every change. */
  props?: (change: Change) => Static<P> | undefined
  /**
   * The element around it on the page (default "div"; "tbody" in a table), and its id.
   * false: the template draws its element itself and puts {{{live.attributes}}} in its tag.
   */
  element?: string | false
  id?: string
  /**
   * Path of the component's own SSE stream route (e.g. "/notification/"), registered by the
   * component loader (src/components/load.ts). Outside a page stream the component then
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
  /** Replace updates morph (default) rather than swap the content whole. */
  morph: boolean
  element: string | false
  id?: string
  props?: (change: Change) => Static<P> | undefined
  message?: (payload: string) => LiveMessageCheck
  /** The declared message schema's validator (absent when message is a function). */
  validator?: MessageValidator<TObject>
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

/** A component's name and files (what its routes need to render its extra templates). */
export type ComponentFiles = Pick<Component, 'name' | 'dir' | 'templatePath'>

export interface Component<P extends TObject = TObject> {
  readonly name: string
  /** Its folder ('' until the loader binds it: see bindComponent). */
  readonly dir: string
  readonly props: P
  readonly templatePath: string
  readonly css: readonly string[]
  readonly js: readonly string[]
  readonly route: string | undefined
  readonly routes: ((fastify: FastifyInstance, component: ComponentFiles) => Promise<void> | void) | undefined
  readonly partials: Readonly<Record<string, string>>
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

function isObjectSchema (value: unknown): value is TObject {
  return typeof value === 'object' && value !== null && (value as TObject).type === 'object' && typeof (value as TObject).properties === 'object'
}

function liveOf<P extends TObject> (name: string, options: ComponentLiveOptions<P> | undefined): ComponentLive<P> | undefined {
  if (options === undefined) return undefined
  const fail = (what: string): never => { throw new Error(`Component "${name}": live.${what}`) }
  const { tags, channel } = options
  if ((tags === undefined) === (channel === undefined)) fail('needs either tags (data that makes it live, e.g. ["contacts"]) or channel (a broker channel of events, e.g. "notifications_channel"), not both')
  if (tags !== undefined && (!Array.isArray(tags) || tags.length === 0 || !tags.every((tag) => TAG.test(tag)))) fail('tags must be a non-empty list of data tags (1-100 letters, digits, _ . : -), e.g. ["contacts"]')
  if (channel !== undefined) {
    if (typeof channel !== 'string' || !CHANNEL.test(channel) || channel.startsWith('broadcast.')) fail('channel must be 1-200 letters, digits or _ . : - and not start with "broadcast." (the channels of tags components)')
    if (typeof options.message !== 'function' && !isObjectSchema(options.message)) fail('message is required with channel: the schema of a message, e.g. Type.Object({ text: Type.String({ maxLength: 500 }) })')
    if (options.props !== undefined) fail('props is for tags components; a channel component gets its update data from message()')
  } else if (options.message !== undefined || options.update !== undefined) {
    fail('message and update are for channel components (live.channel); a tags component renders itself with props(change)')
  }
  const swap = options.swap ?? 'replace'
  if (!['replace', 'prepend', 'append'].includes(swap)) fail('swap must be "replace", "prepend" or "append"')
  if (tags !== undefined && swap !== 'replace' && options.props === undefined) fail('props is required with prepend/append: it turns a change into the props of the item to render')
  if (options.morph !== undefined && typeof options.morph !== 'boolean') fail('morph must be true (default: replace updates morph the page\'s content) or false (swapped whole)')
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
  const validator = isObjectSchema(options.message) ? messageValidator(options.message) : undefined
  const message = validator === undefined ? options.message as ((payload: string) => LiveMessageCheck) | undefined : validator.parse
  return { tags: [...(tags ?? [])], channel: liveChannel, swap, morph: options.morph ?? true, element, id: options.id, props: options.props, message, validator, update: options.update, stream: options.stream, event, family }
}

const PARTIAL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,100}$/

interface Unbound {
  template: string
  css?: string[]
  js?: string[]
  /** Folder of the module that called defineComponent (for a definition imported directly, e.g. by a test). */
  definedIn?: string
}
const unbound = new WeakMap<object, Unbound>()

/** The source folder of the module calling defineComponent, from the call stack (V8 call sites). */
function definingFolder (): string | undefined {
  const original = Error.prepareStackTrace
  try {
    Error.prepareStackTrace = (_error, frames) => frames
    const frames = new Error().stack as unknown as NodeJS.CallSite[]
    const self = frames[0]?.getFileName()
    const caller = frames.map((frame) => frame.getFileName()).find((file) => file !== undefined && file !== null && file !== self)
    return caller === undefined || caller === null ? undefined : sourceDirOf(caller.startsWith('file:') ? caller : pathToFileURL(caller).href)
  } catch {
    return undefined
  } finally {
    Error.prepareStackTrace = original
  }
}

/**
 * A definition without its folder yet (imported directly rather than through the loader, e.g.
 * by a test) gets the folder of the module that defined it.
 */
export function bindWhereDefined<P extends TObject> (component: Component<P>): Component<P> {
  const pending = unbound.get(component)
  if (pending === undefined) return component
  if (pending.definedIn === undefined) throw new Error(`Component "${component.name}" has no folder: default-export it from components/${component.name}/index.ts, or pass dir to defineComponent`)
  return bindComponent(component, pending.definedIn)
}

/** Whether a value is a component definition (what a component folder's module default-exports). */
export function isComponent (value: unknown): value is Component {
  return typeof value === 'object' && value !== null && typeof (value as Component).name === 'string' &&
    typeof (value as Component).propsCheck?.Check === 'function'
}

/**
 * Gives a definition its folder and checks the files it names there (template, assets,
 * live.update, partials). defineComponent() does it when given dir; the loader otherwise.
 */
export function bindComponent<P extends TObject> (component: Component<P>, dir: string): Component<P> {
  const pending = unbound.get(component)
  if (pending === undefined) {
    if (component.dir !== dir) throw new Error(`Component "${component.name}" already has its folder ${component.dir}; it cannot also come from ${dir}`)
    return component
  }
  const { name } = component
  const templatePath = join(dir, pending.template)
  if (!existsSync(templatePath)) throw new Error(`Component "${name}": template ${templatePath} does not exist`)
  const live = component.live
  if (live?.update !== undefined && !existsSync(join(dir, live.update))) throw new Error(`Component "${name}": live.update template ${join(dir, live.update)} does not exist`)
  for (const [partial, file] of Object.entries(component.partials)) {
    if (!existsSync(join(dir, file))) throw new Error(`Component "${name}": partial "${partial}" file ${join(dir, file)} does not exist`)
  }
  Object.assign(component, {
    dir,
    templatePath,
    css: assetList(dir, pending.css, 'style.css', name),
    js: assetList(dir, pending.js, 'script.js', name)
  })
  unbound.delete(component)
  return component
}

export function defineComponent<P extends TObject> (options: ComponentOptions<P>): Component<P> {
  const { name, dir } = options
  if (typeof name !== 'string' || !COMPONENT_NAME.test(name)) {
    throw new Error(`Component name ${JSON.stringify(name)} is invalid: use lower-case letters, digits and _ (e.g. "click_to_load")`)
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
  const partials = { ...(options.partials ?? {}) }
  for (const [partial, file] of Object.entries(partials)) {
    if (!PARTIAL_NAME.test(partial) || typeof file !== 'string' || !/^[\w.-]+\.hbs$/.test(file)) {
      throw new Error(`Component "${name}": partials must map a name (a letter, then letters, digits, _ or -) to a .hbs file directly in its folder, e.g. { contact_row: 'row.hbs' }`)
    }
  }
  if (options.route !== undefined && (typeof options.route !== 'string' || !options.route.startsWith('/'))) {
    throw new Error(`Component "${name}": route must be a URL path, e.g. "/${name}/:id"`)
  }
  const component: Component<P> = {
    name,
    dir: '',
    props: options.props,
    templatePath: '',
    css: [],
    js: [],
    route: options.route,
    routes: options.routes,
    partials,
    propsCheck,
    data: options.data ?? ((props) => props),
    cache: cacheOf(options.cache),
    live
  }
  unbound.set(component, { template: options.template ?? 'template.hbs', css: options.css, js: options.js, definedIn: dir === undefined ? definingFolder() : undefined })
  return dir === undefined ? component : bindComponent(component, dir)
}
