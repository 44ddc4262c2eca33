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
    cache: cacheOf(options.cache)
  }
}
