// Loads the app's components: every folder components/<name>/ whose index.ts (index.js when
// built) default-exports a definition (export default defineComponent({...})). The loader gives
// each its folder, registers it, its declared partials ({{> contact_row}} in any template) and
// its routes (route, live.stream, routes(fastify)). A component is thus one declaration: no
// register-only plugin, no sourceDirOf in every folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { bindComponent, bindWhereDefined, isComponent, type Component } from './define.js'
import { componentRoute } from './route.js'
import { ComponentLoadError } from '../errors.js'
import { projectRoot, sourceDirOf } from '../paths.js'

/** The index module of a folder: .ts when running from sources (tsx), .js when built. */
function indexOf (folder: string): string | undefined {
  const names = import.meta.url.endsWith('.ts') ? ['index.ts', 'index.js'] : ['index.js']
  return names.map((name) => join(folder, name)).find((path) => existsSync(path))
}

/** Imports every components/<name>/index module under dir and answers their definitions. */
export async function loadComponentFolders (dir: string): Promise<Component[]> {
  const components: Component[] = []
  const folders = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
  for (const folder of folders) {
    const index = indexOf(join(dir, folder))
    if (index === undefined) continue
    const url = pathToFileURL(index).href
    const module = await import(url) as { default?: unknown }
    if (!isComponent(module.default)) {
      throw new ComponentLoadError(`${relative(projectRoot, index)} must default-export its component: export default defineComponent({ name: '${folder}', ... }) (import it from '#flc')`)
    }
    components.push(bindComponent(module.default, sourceDirOf(url)))
  }
  return components
}

const PARTIAL_USE = /\{\{#?>\s*([A-Za-z][A-Za-z0-9_-]*)/g

/** Template files of a component (its own, its update and its partials) and the partials they use. */
function partialsUsed (component: Component): Array<{ file: string, partial: string }> {
  const files = [component.templatePath, ...Object.values(component.partials).map((file) => join(component.dir, file))]
  if (component.live?.update !== undefined) files.push(join(component.dir, component.live.update))
  return [...new Set(files)].flatMap((file) => [...readFileSync(file, 'utf8').matchAll(PARTIAL_USE)].map((match) => ({ file, partial: match[1] as string })))
}

/**
 * Registers definitions with their partials and routes. Every partial a template uses must be
 * declared by a registered component (start-up stops naming the template and the partial).
 */
export async function registerComponents (fastify: FastifyInstance, components: readonly Component[]): Promise<void> {
  for (const component of components) fastify.components.register(bindWhereDefined(component))
  for (const component of components) {
    for (const [name, file] of Object.entries(component.partials)) fastify.components.registerPartial(component, name, file)
  }
  const declared = new Set(fastify.components.partialNames())
  for (const component of components) {
    for (const { file, partial } of partialsUsed(component)) {
      if (!declared.has(partial)) {
        throw new ComponentLoadError(`Component "${component.name}": ${relative(projectRoot, file)} uses the partial "${partial}", which no registered component declares: add partials: { ${partial}: '<file>.hbs' } to the component that owns it (and register that component too)`)
      }
    }
  }
  for (const component of components) {
    // Each component's routes in a scope of their own, as the plugin of a folder used to be.
    await fastify.register(async (scope) => {
      if (component.route !== undefined) componentRoute(scope, component, { url: component.route })
      if (component.live?.stream !== undefined) {
        if (!scope.hasDecorator('broadcasts')) throw new ComponentLoadError(`Component "${component.name}" declares live.stream ${component.live.stream}: the app needs the broadcasts plugin (a test: buildLiveWithComponents)`)
        scope.route(scope.broadcasts.route(component))
      }
      await component.routes?.(scope, component)
    })
  }
}

/** A Fastify plugin registering these definitions (tests: the components a test app needs). */
export function componentsPlugin (...components: Component[]): (fastify: FastifyInstance) => Promise<void> {
  return async (fastify) => await registerComponents(fastify, components)
}

/** A Fastify plugin loading and registering every component folder under dir. */
export function componentFoldersPlugin (dir: string): (fastify: FastifyInstance) => Promise<void> {
  return async (fastify) => await registerComponents(fastify, await loadComponentFolders(dir))
}
