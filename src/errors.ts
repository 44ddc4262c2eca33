// Every FLC_ error code of the service, in one catalog (@fastify/error), so a code found in a
// response or a log can be grepped to the one line that makes it. Each error carries the HTTP
// status the app's one error handler (src/http/errors.ts) answers with; errors a client should
// retry later carry `retryAfterSeconds` (sent as Retry-After). This module imports nothing of
// the app: every layer (the live transport included) may use it.
import createError from '@fastify/error'

/** The shape the error handler acts on, whatever layer threw. */
export interface HttpError extends Error {
  code?: string
  statusCode?: number
  /** Seconds a client should wait before trying again (Retry-After). */
  retryAfterSeconds?: number
}

// --- Components -----------------------------------------------------------------------------

export const ComponentNotFoundError = createError<'FLC_COMPONENT_NOT_FOUND', 500, [name: string, known: string]>(
  'FLC_COMPONENT_NOT_FOUND', 'Unknown component "%s". Registered components: %s', 500)

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

/** A component folder could not be loaded (no default-exported definition, an unknown partial, …). */
export const ComponentLoadError = createError<'FLC_COMPONENT_LOAD', 500, [message: string]>('FLC_COMPONENT_LOAD', '%s', 500)

/** A path parameter or query value failed the props schema: 400, the message names it and the rule. */
export const BadParameterError = createError<'FLC_BAD_PARAMETER', 400, [message: string]>('FLC_BAD_PARAMETER', '%s', 400)

/** A test app without the database was asked for it (a component reading app.contacts). */
export const NoDatabaseError = createError<'FLC_NO_DATABASE', 500, [decorator: string]>(
  'FLC_NO_DATABASE', 'This test app has no database, so fastify.%s is missing: build it with buildLiveWithDatabase(t, component) from test/helpers/components.ts (embedded PGlite in memory, no service needed), or build(t) for the whole app', 500)

export const ScaffoldError = createError<'FLC_SCAFFOLD', 500, [message: string]>('FLC_SCAFFOLD', '%s', 500)

// --- Contacts -------------------------------------------------------------------------------

/** Base of every contacts error: `error instanceof ContactsError`. */
export class ContactsError extends Error {
  declare readonly code: string
  declare readonly statusCode: 400 | 404 | 409
}

const contactsBase = ContactsError as unknown as ErrorConstructor

/** page, pageSize or after is not acceptable (the message says which and why). */
export const InvalidPageError = createError<'FLC_INVALID_PAGE', 400, [message: string]>('FLC_INVALID_PAGE', '%s', 400, contactsBase)

/** A page after the last one. Page 1 of an empty list is not an error. */
export class PageNotFoundError extends createError<'FLC_PAGE_NOT_FOUND', 404, [page: number]>(
  'FLC_PAGE_NOT_FOUND', 'Page %s does not exist: there are no contacts that far.', 404, contactsBase) {
  constructor (readonly page: number) {
    super(page)
  }
}

/** A contact's fields are missing or malformed; `field` names the first bad one. */
export class InvalidContactError extends createError<'FLC_INVALID_CONTACT', 400, [message: string]>('FLC_INVALID_CONTACT', '%s', 400, contactsBase) {
  constructor (readonly field: string, message: string) {
    super(message)
  }
}

export class DuplicateEmailError extends createError<'FLC_DUPLICATE_EMAIL', 409, [email: string]>(
  'FLC_DUPLICATE_EMAIL', 'A contact with the email %s already exists.', 409, contactsBase) {
  constructor (readonly email: string) {
    super(email)
  }
}

export class ContactNotFoundError extends createError<'FLC_CONTACT_NOT_FOUND', 404, [id: number]>(
  'FLC_CONTACT_NOT_FOUND', 'Contact %s does not exist.', 404, contactsBase) {
  constructor (readonly id: number) {
    super(id)
  }
}

// --- Dependencies ---------------------------------------------------------------------------

/** Seconds a client is told to wait before trying again. */
export const DEFAULT_RETRY_AFTER_S = 5

const TimeoutBase = createError<'FLC_TIMEOUT', 503, [what: string, ms: number]>(
  'FLC_TIMEOUT', '%s did not answer within %s ms', 503)

/** A dependency did not answer in time: 503, the message names it (`what`: for Retry-After and logs). */
export class TimeoutError extends TimeoutBase {
  readonly what: string
  readonly retryAfterSeconds = DEFAULT_RETRY_AFTER_S
  constructor (what: string, ms: number) {
    super(what, ms)
    this.what = what
  }
}

/** The answer given for any unavailable dependency (the details go to the log). */
export const UNAVAILABLE = 'FLC_UNAVAILABLE'

// --- Live streams ---------------------------------------------------------------------------

/** A stream cannot be served now (shutting down, broker unavailable): 503 with Retry-After. */
export class ServiceUnavailableError extends createError<'FLC_UNAVAILABLE', 503, [message: string]>('FLC_UNAVAILABLE', '%s', 503) {
  readonly retryAfterSeconds = DEFAULT_RETRY_AFTER_S
  constructor (message: string, options?: ErrorOptions) {
    super(message)
    if (options?.cause !== undefined) this.cause = options.cause
    this.name = 'ServiceUnavailableError'
  }
}

/** This client address holds STREAMS_PER_CLIENT streams: 429 with Retry-After. */
export const StreamsPerClientError = createError<'FLC_STREAMS_PER_CLIENT', 429, [held: number, cap: number]>(
  'FLC_STREAMS_PER_CLIENT', 'This address already holds %s live streams (the limit is %s); close some or try again later', 429)

/** The process holds STREAMS_MAX streams: 503 with Retry-After. */
export const StreamsMaxError = createError<'FLC_STREAMS_MAX', 503>(
  'FLC_STREAMS_MAX', 'The server holds as many live streams as it may; try again later', 503)

/** A published live message is over the broker's size bound. */
export class PayloadTooLargeError extends createError<'FLC_PAYLOAD_TOO_LARGE', 413, [channel: string, bytes: number, max: number]>(
  'FLC_PAYLOAD_TOO_LARGE', 'Live message for channel "%s" is %s bytes; the limit is %s', 413) {
  constructor (readonly channel: string, readonly bytes: number, max: number) {
    super(channel, bytes, max)
    this.name = 'PayloadTooLargeError'
  }
}

/** Why a page stream was refused (403), one code per reason. */
const STREAM_REFUSALS = {
  missing: createError('FLC_STREAM_TOKEN_MISSING', 'This stream needs the token its page was rendered with (?s=…)', 403),
  malformed: createError('FLC_STREAM_TOKEN_MALFORMED', 'The stream token is malformed', 403),
  'bad-signature': createError('FLC_STREAM_TOKEN_BAD_SIGNATURE', 'The stream token was not signed by this server', 403),
  expired: createError('FLC_STREAM_TOKEN_EXPIRED', 'The stream token has expired: renew it at /live/token', 403),
  unauthorized: createError('FLC_STREAM_UNAUTHORIZED', 'This request may not read one of the token\'s channels', 403),
  'unknown-channel': createError('FLC_STREAM_UNKNOWN_CHANNEL', 'A channel of this token no longer exists: reload the page', 403)
} as const

export type StreamRefusal = keyof typeof STREAM_REFUSALS

/** The 403 of a page stream refused for `reason` (its code: FLC_STREAM_TOKEN_EXPIRED, …). */
export function streamRefused (reason: string): HttpError & { reason: string } {
  const make = (STREAM_REFUSALS as Record<string, (typeof STREAM_REFUSALS)[StreamRefusal]>)[reason] ?? STREAM_REFUSALS.unauthorized
  return Object.assign(make(), { reason })
}

// --- Publishing -----------------------------------------------------------------------------

/** The route's token variable is not set: publishing over HTTP is off. */
export const PublishingDisabledError = createError<'FLC_PUBLISHING_DISABLED', 401, [variable: string]>(
  'FLC_PUBLISHING_DISABLED', 'Publishing over HTTP is disabled: set %s on the server and send it as "Authorization: Bearer <token>"', 401)

/** GET /metrics on the app's port without METRICS_TOKEN set. */
export const MetricsDisabledError = createError<'FLC_METRICS_DISABLED', 401>(
  'FLC_METRICS_DISABLED', 'Metrics are not served on this port without a token: set METRICS_TOKEN and send it as "Authorization: Bearer <token>", or set METRICS_PORT to serve them on a port of their own', 401)

export const UnauthorizedError = createError<'FLC_UNAUTHORIZED', 401>(
  'FLC_UNAUTHORIZED', 'A valid "Authorization: Bearer <token>" header is required', 401)

/** A published message (HTTP body) failed the component's message schema: the message names the field. */
export const InvalidMessageError = createError<'FLC_INVALID_MESSAGE', 400, [detail: string]>('FLC_INVALID_MESSAGE', '%s', 400)

export const InvalidNotificationError = createError<'FLC_INVALID_NOTIFICATION', 400, [detail: string]>('FLC_INVALID_NOTIFICATION', '%s', 400)

export const UnknownChannelComponentError = createError<'FLC_UNKNOWN_COMPONENT', 404, [name: string, known: string]>(
  'FLC_UNKNOWN_COMPONENT', 'No channel component "%s" (channel components: %s)', 404)
