// Validation of live messages, from a channel component's declared schema
// (live: { channel, message: Type.Object({...}) }). A message comes from a channel (any Redis
// client may publish) or from an HTTP body (POST /live/publish/<component>), so nothing is
// trusted: size, JSON, schema (compiled once), the one text rule (src/util/text.ts), and a
// rejection says why in words a publisher can act on ("title is required").
import { FormatRegistry, type Static, type TObject } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ValueErrorType } from '@sinclair/typebox/errors'
import { cleanStrings } from '../util/text.js'
import { isPlainCssColor, PLAIN_CSS_COLOR_HINT } from '../util/css-color.js'

export const MAX_MESSAGE_BYTES = 64 * 1024

export type MessageCheck<T> =
  | { ok: true, value: T }
  | { ok: false, reason: 'too-large' | 'invalid-json' | 'invalid', detail: string }

/** String formats of message schemas, with the words a rejection uses. */
const FORMATS: Record<string, { check: (value: string) => boolean, hint: string }> = {
  'css-color': { check: isPlainCssColor, hint: PLAIN_CSS_COLOR_HINT }
}
for (const [name, { check }] of Object.entries(FORMATS)) if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check)

export interface MessageValidator<S extends TObject> {
  /** Checks an already-parsed value (an HTTP body). */
  check (value: unknown): MessageCheck<Static<S>>
  /** Parses and checks a raw channel payload. */
  parse (payload: string): MessageCheck<Static<S>>
  /** The fields the schema knows: what is published (unknown extras are accepted, never re-sent). */
  known (value: Static<S>): Static<S>
}

export function messageValidator<S extends TObject> (schema: S): MessageValidator<S> {
  const compiled = TypeCompiler.Compile(schema)
  const keys = Object.keys(schema.properties)
  const check = (value: unknown): MessageCheck<Static<S>> => {
    const error = compiled.Errors(value).First()
    if (error !== undefined) {
      const field = error.path.replace(/^\//, '').replace(/\//g, '.')
      const format = FORMATS[(error.schema as { format?: string }).format ?? '']
      const detail = field === ''
        ? `message must be a JSON object (${error.message})`
        : error.type === ValueErrorType.ObjectRequiredProperty
          ? `${field} is required`
          : error.type === ValueErrorType.StringFormat && format !== undefined
            ? `${field} must be ${format.hint}; got ${JSON.stringify(error.value)}`
            : `${field} ${error.message.replace(/^Expected/, 'must be')}`
      return { ok: false, reason: 'invalid', detail }
    }
    // The service's one text rule; a message's fields may span lines.
    return { ok: true, value: cleanStrings(value as Static<S> & object, { multiline: true }) }
  }
  return {
    check,
    parse (payload) {
      if (Buffer.byteLength(payload) > MAX_MESSAGE_BYTES) {
        return { ok: false, reason: 'too-large', detail: `message is larger than ${MAX_MESSAGE_BYTES} bytes` }
      }
      let value: unknown
      try {
        value = JSON.parse(payload)
      } catch (error) {
        return { ok: false, reason: 'invalid-json', detail: `message is not valid JSON (${(error as Error).message})` }
      }
      return check(value)
    },
    known: (value) => Object.fromEntries(keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined).map((key) => [key, (value as Record<string, unknown>)[key]])) as Static<S>
  }
}
