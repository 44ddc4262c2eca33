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
import { ComponentDepthError, ComponentPropsError } from './errors.js'
import { assetTags } from './assets.js'
import { connectLive, liveAttributes, liveElement } from './live-element.js'
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
  /** HTML the component was called with as a block, for {{slot}}. */
  slot: string | undefined
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

  /**
   * Renders one component (and the components inside it).
   * propsStatus: the status of a props error of this (top-level) component, e.g. 400 when the
   * props come from a request.
   */
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
    const frame: RenderFrame = { session, depth: 0, renderer: this, slot: undefined }
    const raw = await renderTemplate({ ...data, [RENDER_FRAME]: frame })
    const html = await resolvePlaceholders(raw, session)
    const used = [...session.used]
    return { html: html.replace(session.marker('assets'), () => assetTags(used)), used }
  }

  validateProps (component: Component, props: unknown, statusCode = 500): object {
    const candidate = props ?? {}
    // The compiled check is the fast path; the (interpreted) error walk only for bad props.
    if (component.propsCheck.Check(candidate)) return candidate as object
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

  /**
   * The one render path of a component: validate, then either render it into this session or,
   * when it is cacheable, serve it from the cache (rendered in a session of its own on a miss,
   * so the entry knows exactly which components, and so which assets, it used).
   * slot: the HTML of the block it was called with ({{#component}}…{{/component}}), which may
   * still hold placeholders of this session.
   */
  async renderComponent (name: string, props: unknown, session: RenderSession, depth: number, propsStatus = 500, slot?: string): Promise<string> {
    if (depth > MAX_DEPTH) throw new ComponentDepthError(name, MAX_DEPTH)
    const component = this.registry.get(name)
    const valid = this.validateProps(component, props, propsStatus)
    // A live component: its element joins the page stream. The newest id is read before the
    // data, so an update announced in between is replayed rather than lost. A broadcast
    // render (the update itself) is the content only.
    if (component.live === undefined || (session.ctx.broadcast === true && depth === 0)) {
      return await this.#renderValid(component, valid, session, depth, slot)
    }
    const connection = await connectLive(component, valid, session.ctx)
    // A template that draws its own element gets the attributes as {{{live.attributes}}}.
    const live = component.live.element === false
      ? { attributes: liveAttributes(component, connection), private: connection?.private === true }
      : undefined
    return liveElement(component, connection, await this.#renderValid(component, valid, session, depth, slot, live))
  }

  async #renderValid (component: Component, valid: object, session: RenderSession, depth: number, slot: string | undefined, live?: object): Promise<string> {
    const name = component.name
    const filled = slot === undefined ? undefined : await resolvePlaceholders(slot, session)
    // A TTL of 0 (e.g. CONTACTS_CACHE_TTL_MS=0) turns the cache off: no key, no own session.
    if (component.cache === undefined || component.cache.ttlMs(session.ctx) <= 0) {
      session.used.add(component)
      return await this.#renderTemplate(component, valid, session, depth, filled, live)
    }
    const key = filled === undefined ? propsKey(name, valid) : `${propsKey(name, valid)}\n${filled}`
    let rendered = this.cache.get(key)
    if (rendered === undefined) {
      const own = new RenderSession(session.ctx)
      own.used.add(component)
      const html = await this.#renderTemplate(component, valid, own, depth, filled)
      rendered = { html, used: [...own.used] }
      this.cache.set(key, rendered, component.cache.ttlMs(session.ctx), component.cache.tags)
    }
    for (const used of rendered.used) session.used.add(used)
    return rendered.html
  }

  async #renderTemplate (component: Component, props: object, session: RenderSession, depth: number, slot: string | undefined, live?: object): Promise<string> {
    const data = await component.data(props as never, session.ctx)
    const frame: RenderFrame = { session, depth: depth + 1, renderer: this, slot }
    const context = live === undefined ? { ...data, [RENDER_FRAME]: frame } : { ...data, live, [RENDER_FRAME]: frame }
    return await resolvePlaceholders(this.templates.get(component)(context), session)
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

/**
 * Registers the helpers of component templates on a Handlebars instance:
 * - {{component "name" prop=value ...}} renders a component in place;
 * - {{#component "name" ...}}…{{/component}} does the same and hands it the block as its slot;
 * - {{slot}} in a component's template is that block ({{#slot}}fallback{{/slot}} when none was given);
 * - {{eq a b}} compares two values (in {{#if (eq status "active")}});
 * - {{component_assets}} (in a page's <head>) becomes the CSS/JS tags of every component used.
 * The block is rendered by the caller's template with the caller's escaping ({{x}} escaped,
 * {{{x}}} raw) and inserted by {{slot}} as-is: it is markup of a trusted template, not data.
 */
export function registerComponentHelpers (handlebars: HandlebarsEnv): void {
  handlebars.registerHelper('component', function (this: unknown, name: unknown, options: HelperOptions) {
    if (typeof name !== 'string') throw new Error('{{component}} needs a component name first, e.g. {{component "click_to_load" page=1}}')
    const { session, depth, renderer } = frameOf(options, 'component')
    const key = session.nextKey()
    // options.fn exists only for the block form: its content is the slot.
    const slot = typeof options.fn === 'function' ? options.fn(this) : undefined
    const promise = renderer.renderComponent(name, { ...options.hash }, session, depth, 500, slot)
    promise.catch(() => {}) // awaited (and its error reported) when placeholders resolve
    session.pending.set(key, promise)
    return new handlebars.SafeString(session.marker(key))
  })
  handlebars.registerHelper('slot', function (this: unknown, options: HelperOptions) {
    const { slot } = frameOf(options, 'slot')
    if (slot !== undefined) return new handlebars.SafeString(slot)
    return typeof options.fn === 'function' ? new handlebars.SafeString(options.fn(this)) : ''
  })
  // {{#if (eq status "active")}}: templates compare a value without a data function for it.
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b)
  handlebars.registerHelper('component_assets', function (options: HelperOptions) {
    return new handlebars.SafeString(frameOf(options, 'component_assets').session.marker('assets'))
  })
}
