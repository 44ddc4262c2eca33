// The component system of one app: a registry (register/get/has/all) and a renderer, composed,
// on its own isolated Handlebars instance (helpers registered here never leak into another app
// or test).
import Handlebars from 'handlebars'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TObject } from '@sinclair/typebox'
import type { Component, LivePage, RenderContext } from './define.js'
import { ComponentRegistry } from './registry.js'
import { ComponentRenderer, registerComponentHelpers, type RenderedFragment } from './renderer.js'
import { TemplateCache } from './templates.js'
import { RenderCache } from './render-cache.js'

export class Components {
  readonly handlebars = Handlebars.create()
  readonly registry = new ComponentRegistry()
  /** Rendered HTML of components that declare `cache` (see defineComponent). */
  readonly cache = new RenderCache()
  readonly #templates: TemplateCache
  readonly #renderer: ComponentRenderer
  readonly #partialOwners = new Map<string, string>()

  constructor (private readonly app: FastifyInstance, watchTemplates: boolean) {
    registerComponentHelpers(this.handlebars)
    this.#templates = new TemplateCache(this.handlebars, watchTemplates)
    this.#renderer = new ComponentRenderer(this.registry, this.#templates, this.cache)
  }

  register<P extends TObject> (component: Component<P>): Component<P> {
    // Compile first: a template error stops start-up and leaves nothing half-registered.
    this.#templates.get(component as unknown as Component)
    return this.registry.register(component)
  }

  get (name: string): Component {
    return this.registry.get(name)
  }

  has (name: string): boolean {
    return this.registry.has(name)
  }

  all (): Component[] {
    return this.registry.all()
  }

  /**
   * A compiled extra template of a component's folder (e.g. the per-message template of a live
   * component), rendered synchronously: no {{component}} inside. Cached like the main template.
   */
  template (component: Pick<Component, 'name' | 'dir' | 'templatePath'>, file: string): (data: object) => string {
    const path = join(component.dir, file)
    if (!existsSync(path)) throw new Error(`Component "${component.name}": template ${path} does not exist`)
    this.#templates.get(component, path)
    return (data) => this.#templates.get(component, path)(data)
  }

  /**
   * A partial other templates use by name ({{> contact_row}}): a template of the component's
   * folder (reloaded like the others in development). One name, one component.
   */
  registerPartial (component: Pick<Component, 'name' | 'dir' | 'templatePath'>, name: string, file: string): void {
    const owner = this.#partialOwners.get(name)
    if (owner !== undefined) throw new Error(`Partial "${name}" is declared by component "${owner}" and by "${component.name}": give one another name`)
    const render = this.template(component, file)
    this.#partialOwners.set(name, component.name)
    this.handlebars.registerPartial(name, (data: object) => render(data))
  }

  /** A declared partial as a function (e.g. a route answering one table row: partial('contact_row')). */
  partial (name: string): (data: object) => string {
    if (!this.#partialOwners.has(name)) throw new Error(`No component declares the partial "${name}" (declared: ${this.partialNames().join(', ') || 'none'})`)
    return (data) => (this.handlebars.partials[name] as (data: object) => string)(data)
  }

  /** Names of the partials declared by components (registerPartial). */
  partialNames (): string[] {
    return [...this.#partialOwners.keys()]
  }

  /** Drops cached renders tagged `tag` here and (through plugins/app/component-cache) in every process. */
  invalidate (tag: string): void {
    this.cache.invalidate(tag)
  }

  /**
   * Renders a component to HTML (with the components it uses). propsStatus: the status of a
   * props error, 400 when the props come from the request (reply.fragment).
   */
  async render (name: string, props: unknown, request?: FastifyRequest, propsStatus = 500): Promise<RenderedFragment> {
    return await this.#renderer.render(name, props, this.#context(request), propsStatus)
  }

  /** A live component's update for the page stream: its content, without its live element. */
  async renderBroadcast (name: string, props: unknown): Promise<string> {
    const rendered = await this.#renderer.render(name, props, { app: this.app, broadcast: true })
    return rendered.html
  }

  /** Renders one component as on a page with a page stream (a live component joins livePage). */
  async renderInPage (name: string, props: unknown, livePage: LivePage): Promise<string> {
    const rendered = await this.#renderer.render(name, props, { app: this.app, page: livePage })
    return rendered.html
  }

  /** Renders a page template through @fastify/view, resolving components and their assets. */
  /** livePage: the page's stream, which the live components on the page join. */
  async renderPage (page: string, data: object, request?: FastifyRequest, livePage?: LivePage): Promise<string> {
    const ctx = this.#context(request)
    if (livePage !== undefined) ctx.page = livePage
    const rendered = await this.#renderer.renderPage((d) => this.app.view(page, d), data, ctx)
    return rendered.html
  }

  #context (request?: FastifyRequest): RenderContext {
    return request === undefined ? { app: this.app } : { app: this.app, request }
  }
}
