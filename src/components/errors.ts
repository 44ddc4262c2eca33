// Errors of the component system: defined in the one catalog (src/errors.ts).
import { ComponentNotFoundError } from '../errors.js'

export { ComponentNotFoundError, DuplicateComponentError, ComponentPropsError, ComponentDepthError } from '../errors.js'

export function componentNotFound (name: string, known: string[]): InstanceType<typeof ComponentNotFoundError> {
  return new ComponentNotFoundError(name, known.length > 0 ? known.map((k) => `"${k}"`).join(', ') : '(none)')
}
