// Parsing of numeric URL parts with messages a person understands. Done by hand rather than by
// a JSON schema so "abc", "2.5", "1e9" and "-1" each get a message naming the parameter.

export class BadParameterError extends Error {
  readonly statusCode = 400
  constructor (message: string) {
    super(message)
    this.name = 'BadParameterError'
  }
}

/** A whole number written plainly in decimal, from min to max. */
export function parseWholeNumber (raw: unknown, name: string, min: number, max: number): number {
  const text = typeof raw === 'string' ? raw : String(raw)
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text
    throw new BadParameterError(`${name} must be a whole number from ${min} to ${max}; got "${shown}"`)
  }
  return value
}
