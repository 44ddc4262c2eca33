// Errors of the component system. statusCode lets the app's error handler answer properly.

export class ComponentNotFoundError extends Error {
  readonly statusCode = 500
  constructor (name: string, known: string[]) {
    super(`Unknown component "${name}". Registered components: ${known.length > 0 ? known.map((k) => `"${k}"`).join(', ') : '(none)'}`)
    this.name = 'ComponentNotFoundError'
  }
}

export class DuplicateComponentError extends Error {
  constructor (name: string, existingDir: string, newDir: string) {
    super(`Component "${name}" is already registered (from ${existingDir}); the component from ${newDir} needs another name`)
    this.name = 'DuplicateComponentError'
  }
}

/** A prop failed the component's schema: names the component, the prop and the rule. */
export class ComponentPropsError extends Error {
  readonly statusCode: number
  constructor (readonly component: string, readonly prop: string, detail: string, statusCode = 500) {
    super(`Component "${component}": prop "${prop}" ${detail}`)
    this.name = 'ComponentPropsError'
    this.statusCode = statusCode
  }
}
