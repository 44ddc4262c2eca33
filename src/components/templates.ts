// Compiled component templates. Production compiles each template once; development re-reads
// a template whose file changed, so editing a .hbs shows on the next request.
import { readFileSync, statSync } from 'node:fs'
import type { Component } from './define.js'

/** What the cache needs of a component (any props type). */
type TemplateOwner = Pick<Component, 'name' | 'templatePath'>

type HandlebarsEnv = typeof import('handlebars')
export type CompiledTemplate = (context: object) => string

export class TemplateCache {
  readonly #compiled = new Map<string, { mtimeMs: number, render: CompiledTemplate }>()

  constructor (private readonly handlebars: HandlebarsEnv, private readonly watchFiles: boolean) {}

  /** The component's main template, or another .hbs file of its folder. */
  get (component: TemplateOwner, path: string = component.templatePath): CompiledTemplate {
    const cached = this.#compiled.get(path)
    if (cached !== undefined && !this.watchFiles) return cached.render
    const mtimeMs = statSync(path).mtimeMs
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.render
    const render = this.compile(component, path)
    this.#compiled.set(path, { mtimeMs, render })
    return render
  }

  private compile (component: TemplateOwner, path: string): CompiledTemplate {
    const source = readFileSync(path, 'utf8')
    try {
      const template = this.handlebars.compile(source)
      // Handlebars.compile is lazy (it parses on first render): precompile too, so a syntax
      // error surfaces here, with the file name, not on some later request.
      this.handlebars.precompile(source)
      return template
    } catch (error) {
      throw new Error(`Component "${component.name}": template ${path} does not compile: ${(error as Error).message}`)
    }
  }
}
