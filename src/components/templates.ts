// Compiled component templates. Production compiles each template once; development re-reads
// a template whose file changed, so editing a .hbs shows on the next request.
import { readFileSync, statSync } from 'node:fs'
import type { Component } from './define.js'

type HandlebarsEnv = typeof import('handlebars')
export type CompiledTemplate = (context: object) => string

export class TemplateCache {
  readonly #compiled = new Map<string, { mtimeMs: number, render: CompiledTemplate }>()

  constructor (private readonly handlebars: HandlebarsEnv, private readonly watchFiles: boolean) {}

  get (component: Component): CompiledTemplate {
    const cached = this.#compiled.get(component.templatePath)
    if (cached !== undefined && !this.watchFiles) return cached.render
    const mtimeMs = statSync(component.templatePath).mtimeMs
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.render
    const render = this.compile(component)
    this.#compiled.set(component.templatePath, { mtimeMs, render })
    return render
  }

  private compile (component: Component): CompiledTemplate {
    const source = readFileSync(component.templatePath, 'utf8')
    try {
      const template = this.handlebars.compile(source)
      // Handlebars.compile is lazy (it parses on first render): precompile too, so a syntax
      // error surfaces here, with the file name, not on some later request.
      this.handlebars.precompile(source)
      return template
    } catch (error) {
      throw new Error(`Component "${component.name}": template ${component.templatePath} does not compile: ${(error as Error).message}`)
    }
  }
}
