// Errors of the component system, with stable codes (@fastify/error) so callers and tests match
// the code, never the wording. statusCode lets the app's error handler answer properly.
import createError from '@fastify/error'

export const ComponentNotFoundError = createError<'FLC_COMPONENT_NOT_FOUND', 500, [name: string, known: string]>(
  'FLC_COMPONENT_NOT_FOUND', 'Unknown component "%s". Registered components: %s', 500)

export function componentNotFound (name: string, known: string[]): InstanceType<typeof ComponentNotFoundError> {
  return new ComponentNotFoundError(name, known.length > 0 ? known.map((k) => `"${k}"`).join(', ') : '(none)')
}

export const DuplicateComponentError = createError<'FLC_DUPLICATE_COMPONENT', 500, [name: string, existingDir: string, newDir: string]>(
  'FLC_DUPLICATE_COMPONENT', 'Component "%s" is already registered (from %s); the component from %s needs another name', 500)

/** A prop failed the component's schema: names the component, the prop and the rule. */
export class ComponentPropsError extends createError<'FLC_COMPONENT_PROPS', number, [component: string, prop: string, detail: string]>(
  'FLC_COMPONENT_PROPS', 'Component "%s": prop "%s" %s', 500) {
  constructor (readonly component: string, readonly prop: string, detail: string, statusCode = 500) {
    super(component, prop, detail)
    this.statusCode = statusCode
  }
}

/** A component is nested in itself (directly or not) deeper than the renderer allows. */
export const ComponentDepthError = createError<'FLC_COMPONENT_DEPTH', 500, [name: string, max: number]>(
  'FLC_COMPONENT_DEPTH', 'Component "%s" is nested more than %s levels deep: does a component render itself?', 500)
