// Validation of live messages. A message comes from a channel (any Redis client may publish)
// or from an HTTP body, so nothing is trusted: size, JSON, schema and extra rules are checked,
// and a rejection says why in words a publisher can act on.
import type { Static, TObject } from '@sinclair/typebox'
import type { TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType } from '@sinclair/typebox/errors'
import { cleanStrings } from '../../src/util/text.js'

export const MAX_MESSAGE_BYTES = 64 * 1024

export type MessageCheck<T> =
  | { ok: true, value: T }
  | { ok: false, reason: 'too-large' | 'invalid-json' | 'invalid', detail: string }

/** Checks an already-parsed value against a compiled schema plus extra rules. */
export function checkMessage<S extends TObject> (check: TypeCheck<S>, value: unknown, extra?: (value: Static<S>) => string | undefined): MessageCheck<Static<S>> {
  const error = check.Errors(value).First()
  if (error !== undefined) {
    const field = error.path.replace(/^\//, '').replace(/\//g, '.')
    const detail = field === ''
      ? `message must be a JSON object (${error.message})`
      : error.type === ValueErrorType.ObjectRequiredProperty
        ? `${field} is required`
        : `${field} ${error.message.replace(/^Expected/, 'must be')}`
    return { ok: false, reason: 'invalid', detail }
  }
  // The service's one text rule (src/util/text.ts); a message's fields may span lines.
  const clean = cleanStrings(value as Static<S> & object, { multiline: true })
  const problem = extra?.(clean)
  return problem === undefined ? { ok: true, value: clean } : { ok: false, reason: 'invalid', detail: problem }
}

/** Parses and checks a raw channel payload. */
export function parseMessage<S extends TObject> (check: TypeCheck<S>, payload: string, extra?: (value: Static<S>) => string | undefined): MessageCheck<Static<S>> {
  if (Buffer.byteLength(payload) > MAX_MESSAGE_BYTES) {
    return { ok: false, reason: 'too-large', detail: `message is larger than ${MAX_MESSAGE_BYTES} bytes` }
  }
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch (error) {
    return { ok: false, reason: 'invalid-json', detail: `message is not valid JSON (${(error as Error).message})` }
  }
  return checkMessage(check, value, extra)
}
