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

export interface ComponentLiveOptions<P extends TObject> {
  /** Data tags that make it live, e.g. ['contacts'] or ['contact:42']. */
  tags: string[]
  /** How an update lands: replace its content (default), or prepend / append an item. */
  swap?: 'replace' | 'prepend' | 'append'
  /** Props to render for a change; undefined: this change sends nothing. Default: {} for every change. */
  props?: (change: Change) => Static<P> | undefined
  /** The element around it on the page (default "div"; "tbody" in a table), and its id. */
  element?: string
  id?: string
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
  readonly live: Required<Pick<ComponentLiveOptions<P>, 'tags' | 'swap' | 'element'>> & Pick<ComponentLiveOptions<P>, 'id' | 'props'> | undefined
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
const ELEMENT = /^[a-z][a-z0-9]{0,20}$/
const ELEMENT_ID = /^[A-Za-z][A-Za-z0-9_-]{0,100}$/

function liveOf<P extends TObject> (name: string, options: ComponentLiveOptions<P> | undefined): Component<P>['live'] {
  if (options === undefined) return undefined
  const fail = (what: string) => { throw new Error(`Component "${name}": live.${what}`) }
  if (!Array.isArray(options.tags) || options.tags.length === 0 || !options.tags.every((tag) => TAG.test(tag))) fail('tags must be a non-empty list of data tags (1-100 letters, digits, _ . : -), e.g. ["contacts"]')
  const swap = options.swap ?? 'replace'
  if (!['replace', 'prepend', 'append'].includes(swap)) fail('swap must be "replace", "prepend" or "append"')
  if (swap !== 'replace' && options.props === undefined) fail('props is required with prepend/append: it turns a change into the props of the item to render')
  const element = options.element ?? 'div'
  if (!ELEMENT.test(element)) fail('element must be a lower-case HTML element name, e.g. "tbody"')
  if (options.id !== undefined && !ELEMENT_ID.test(options.id)) fail('id must be a valid HTML id (a letter, then letters, digits, _ or -)')
  return { tags: [...options.tags], swap, element, id: options.id, props: options.props }
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
  return {
    name,
    dir,
    props: options.props,
    templatePath,
    css: assetList(dir, options.css, 'style.css', name),
    js: assetList(dir, options.js, 'script.js', name),
    propsCheck: TypeCompiler.Compile(options.props),
    data: options.data ?? ((props) => props),
    cache: cacheOf(options.cache),
    live: liveOf(name, options.live)
  }
}
