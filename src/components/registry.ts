// The component registry: register/get/has/all, as in django-components. Each app instance
// (and so each test) gets its own.
import type { TObject } from '@sinclair/typebox'
import type { Component } from './define.js'
import { componentNotFound, DuplicateComponentError } from './errors.js'

export class ComponentRegistry {
  readonly #components = new Map<string, Component>()

  register<P extends TObject> (component: Component<P>): Component<P> {
    if (component.dir === '') throw new Error(`Component "${component.name}" has no folder: default-export it from components/${component.name}/index.ts (the loader gives it its folder), or pass dir to defineComponent`)
    const existing = this.#components.get(component.name)
    if (existing !== undefined) throw new DuplicateComponentError(component.name, existing.dir, component.dir)
    this.#components.set(component.name, component as unknown as Component)
    return component
  }

  get (name: string): Component {
    const component = this.#components.get(name)
    if (component === undefined) throw componentNotFound(name, [...this.#components.keys()])
    return component
  }

  has (name: string): boolean {
    return this.#components.has(name)
  }

  all (): Component[] {
    return [...this.#components.values()]
  }
}
