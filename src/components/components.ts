// The component system of one app: the registry (register/get/has/all) plus rendering, on its
// own isolated Handlebars instance (helpers registered here never leak into another app or test).
import Handlebars from 'handlebars'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TObject } from '@sinclair/typebox'
import type { Component, LivePage, RenderContext } from './define.js'
import { ComponentRegistry } from './registry.js'
import { ComponentRenderer, registerComponentHelpers, type RenderedFragment } from './renderer.js'
import { TemplateCache } from './templates.js'
import { RenderCache } from './render-cache.js'
import { assetsOf, assetTags, parseLoadedComponents } from './assets.js'

export class Components extends ComponentRegistry {
  readonly handlebars = Handlebars.create()
  readonly #templates: TemplateCache
  readonly #renderer: ComponentRenderer
  /** Rendered HTML of components that declare `cache` (see defineComponent). */
  readonly cache = new RenderCache()

  constructor (private readonly app: FastifyInstance, watchTemplates: boolean) {
    super()
    registerComponentHelpers(this.handlebars)
    this.#templates = new TemplateCache(this.handlebars, watchTemplates)
    this.#renderer = new ComponentRenderer(this, this.#templates, this.cache)
  }

  override register<P extends TObject> (component: Component<P>): Component<P> {
    // Compile first: a template error stops start-up and leaves nothing half-registered.
    this.#templates.get(component as unknown as Component)
    return super.register(component)
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

  /** Drops cached renders tagged `tag` here and (through plugins/component-cache) in every process. */
  invalidate (tag: string): void {
    this.cache.invalidate(tag)
  }

  /** Renders a component to HTML (with the components it uses). */
  async render (name: string, props: unknown, request?: FastifyRequest): Promise<RenderedFragment> {
    return await this.#renderer.render(name, props, this.#context(request))
  }

  /** Renders a page template through @fastify/view, resolving components and their assets. */
  /** livePage: the page's stream, which the live components on the page join. */
  async renderPage (page: string, data: object, request?: FastifyRequest, livePage?: LivePage): Promise<string> {
    const ctx = this.#context(request)
    if (livePage !== undefined) ctx.page = livePage
    const rendered = await this.#renderer.renderPage((d) => this.app.view(page, d), data, ctx)
    return rendered.html
  }

  /**
   * Sends a component as an htmx fragment. The page lists the components whose assets it has
   * in the FLC-Components header (src/public/flc.js); assets it lacks come in an HX-Trigger
   * event that flc.js turns into <link>/<script> tags. A request without htmx gets the tags
   * inline, so a fragment opened on its own still has its CSS and JS.
   */
  async sendFragment (reply: FastifyReply, name: string, props: unknown): Promise<FastifyReply> {
    // These props come from the request: if they fail the component's schema, that is the
    // client's mistake (400); a bad prop deeper down stays a server error.
    const { html, used } = await this.#renderer.render(name, props, this.#context(reply.request), 400)
    const isHtmx = reply.request.headers['hx-request'] === 'true'
    const loaded = parseLoadedComponents(reply.request.headers['flc-components'])
    const missing = used.filter((c) => !loaded.has(c.name) && (c.css.length > 0 || c.js.length > 0))
    reply.type('text/html; charset=utf-8').header('Vary', 'HX-Request, FLC-Components')
    if (missing.length === 0) return await reply.send(html)
    if (isHtmx) {
      const components = missing.map((c) => ({ name: c.name, ...assetsOf([c]) }))
      reply.header('HX-Trigger', JSON.stringify({ 'flc:assets': { components } }))
      return await reply.send(html)
    }
    return await reply.send(`${assetTags(missing)}\n${html}`)
  }

  #context (request?: FastifyRequest): RenderContext {
    return request === undefined ? { app: this.app } : { app: this.app, request }
  }
}
