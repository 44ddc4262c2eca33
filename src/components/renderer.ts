// Renders components and pages.
//
// Handlebars helpers are synchronous, but a component's data may come from the database. So
// {{component "name" ...}} starts the component's render and leaves a placeholder; once the
// template is done, every placeholder is replaced by its awaited HTML. Sibling components thus
// load their data in parallel. Placeholders carry a random nonce per render: escaped user data
// can never contain "<!--", and a forged comment would not know the nonce.
import { randomBytes } from 'node:crypto'
import type { HelperOptions } from 'handlebars'
import { ValueErrorType } from '@sinclair/typebox/errors'
import type { Component, RenderContext } from './define.js'
import type { ComponentRegistry } from './registry.js'
import type { TemplateCache } from './templates.js'
import { ComponentPropsError } from './errors.js'
import { assetTags } from './assets.js'
import type { RenderCache } from './render-cache.js'

type HandlebarsEnv = typeof import('handlebars')

/** Hidden in each template's root context (a symbol is unreachable from template syntax). */
export const RENDER_FRAME = Symbol('flc.renderFrame')

const MAX_DEPTH = 16

// Nonces: a random per-process part (never shown: placeholders are replaced before anything is
// sent) plus a counter, instead of fresh random bytes on every render.
const PROCESS_NONCE = randomBytes(12).toString('base64url')
let sessions = 0

/** Cache key of validated props: keys sorted, so {a, b} and {b, a} are the same entry. */
function propsKey (name: string, props: object): string {
  const entries = Object.entries(props).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `${name}\n${JSON.stringify(entries)}`
}

class RenderSession {
  readonly nonce = `${PROCESS_NONCE}${(sessions++).toString(36)}`
  readonly pending = new Map<string, Promise<string>>()
  readonly used = new Set<Component>()
  #next = 0

  constructor (readonly ctx: RenderContext) {}

  marker (key: string): string {
    return `<!--flc:${this.nonce}:${key}-->`
  }

  nextKey (): string {
    return String(this.#next++)
  }
}

interface RenderFrame {
  session: RenderSession
  depth: number
  renderer: ComponentRenderer
}

export interface RenderedFragment {
  html: string
  /** Components used, in order of first use (the asset order). */
  used: Component[]
}

export class ComponentRenderer {
  constructor (
    private readonly registry: ComponentRegistry,
    private readonly templates: TemplateCache,
    private readonly cache: RenderCache
  ) {}

  /** Renders one component (and the components inside it). */
  /** propsStatus: the status of a props error of this (top-level) component, e.g. 400 when the props come from a request. */
  async render (name: string, props: unknown, ctx: RenderContext, propsStatus = 500): Promise<RenderedFragment> {
    const session = new RenderSession(ctx)
    const html = await this.renderComponent(name, props, session, 0, propsStatus)
    return { html, used: [...session.used] }
  }

  /**
   * Renders a page: `renderTemplate` gets the data to render with (e.g. through @fastify/view),
   * then placeholders are resolved and {{component_assets}} becomes the tags of every
   * component the page used, each once.
   */
  async renderPage (renderTemplate: (data: object) => Promise<string>, data: object, ctx: RenderContext): Promise<RenderedFragment> {
    const session = new RenderSession(ctx)
    const frame: RenderFrame = { session, depth: 0, renderer: this }
    const raw = await renderTemplate({ ...data, [RENDER_FRAME]: frame })
    const html = await resolvePlaceholders(raw, session)
    const used = [...session.used]
    return { html: html.replace(session.marker('assets'), () => assetTags(used)), used }
  }

  validateProps (component: Component, props: unknown, statusCode = 500): object {
    const candidate = props ?? {}
    const error = component.propsCheck.Errors(candidate).First()
    if (error === undefined) return candidate as object
    const prop = error.path.replace(/^\//, '').replace(/\//g, '.') || '(props)'
    const detail = error.type === ValueErrorType.ObjectAdditionalProperties
      ? `is not a known prop (known: ${Object.keys(component.props.properties).join(', ')})`
      : error.type === ValueErrorType.ObjectRequiredProperty
        ? 'is required'
        : `is invalid: ${error.message} (got ${JSON.stringify(error.value)})`
    throw new ComponentPropsError(component.name, prop, detail, statusCode)
  }

  async renderComponent (name: string, props: unknown, session: RenderSession, depth: number, propsStatus = 500): Promise<string> {
    if (depth > MAX_DEPTH) {
      throw new Error(`Component "${name}" is nested more than ${MAX_DEPTH} levels deep: does a component render itself?`)
    }
    const component = this.registry.get(name)
    const valid = this.validateProps(component, props, propsStatus)
    if (component.cache !== undefined) return await this.renderCached(component, valid, session, depth)
    session.used.add(component)
    const data = await component.data(valid as never, session.ctx)
    const frame: RenderFrame = { session, depth: depth + 1, renderer: this }
    const raw = this.templates.get(component)({ ...data, [RENDER_FRAME]: frame })
    return await resolvePlaceholders(raw, session)
  }

  /** A cacheable component renders in a session of its own, so its entry knows exactly which components (and so which assets) it used. */
  private async renderCached (component: Component, props: object, session: RenderSession, depth: number): Promise<string> {
    const key = propsKey(component.name, props)
    const cached = this.cache.get(key)
    if (cached === undefined) {
      const own = new RenderSession(session.ctx)
      own.used.add(component)
      const data = await component.data(props as never, own.ctx)
      const frame: RenderFrame = { session: own, depth: depth + 1, renderer: this }
      const html = await resolvePlaceholders(this.templates.get(component)({ ...data, [RENDER_FRAME]: frame }), own)
      const rendered = { html, used: [...own.used] }
      this.cache.set(key, rendered, component.cache?.ttlMs(session.ctx) ?? 0, component.cache?.tags ?? [])
      for (const used of rendered.used) session.used.add(used)
      return html
    }
    for (const used of cached.used) session.used.add(used)
    return cached.html
  }
}

async function resolvePlaceholders (html: string, session: RenderSession): Promise<string> {
  const prefix = `<!--flc:${session.nonce}:`
  if (!html.includes(prefix)) return html
  const keys = [...html.matchAll(new RegExp(`${prefix}(\\d+)-->`, 'g'))].map((m) => m[1] as string)
  const parts = await Promise.all(keys.map((key) => session.pending.get(key) ?? Promise.resolve('')))
  const byKey = new Map(keys.map((key, i) => [key, parts[i] as string]))
  for (const key of keys) session.pending.delete(key)
  return html.replace(new RegExp(`${prefix}(\\d+)-->`, 'g'), (_m, key: string) => byKey.get(key) ?? '')
}

function frameOf (options: HelperOptions, helper: string): RenderFrame {
  const frame = (options.data?.root as Record<symbol, RenderFrame> | undefined)?.[RENDER_FRAME]
  if (frame === undefined) {
    throw new Error(`{{${helper}}} works only in templates rendered through fastify.components (render or renderPage)`)
  }
  return frame
}

/** Registers {{component "name" prop=value ...}} and {{component_assets}} on a Handlebars instance. */
export function registerComponentHelpers (handlebars: HandlebarsEnv): void {
  handlebars.registerHelper('component', function (this: unknown, name: unknown, options: HelperOptions) {
    if (typeof name !== 'string') throw new Error('{{component}} needs a component name first, e.g. {{component "click_to_load" page=1}}')
    const { session, depth, renderer } = frameOf(options, 'component')
    const key = session.nextKey()
    const promise = renderer.renderComponent(name, { ...options.hash }, session, depth)
    promise.catch(() => {}) // awaited (and its error reported) when placeholders resolve
    session.pending.set(key, promise)
    return new handlebars.SafeString(session.marker(key))
  })
  handlebars.registerHelper('component_assets', function (options: HelperOptions) {
    return new handlebars.SafeString(frameOf(options, 'component_assets').session.marker('assets'))
  })
}
