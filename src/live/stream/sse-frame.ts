// Server-sent event framing (WHATWG HTML, "Server-sent events"). Frames are encoded once into
// a Buffer and that same Buffer is written to every client.

/** Every line break the SSE parser recognises; each one starts a new data: line. */
const LINE_BREAK = /\r\n|\r|\n/
/** id and event values end at a line break, so they must not contain one. */
const FIELD_VALUE = /^[^\r\n\0]*$/

export interface SseEvent {
  /** Becomes the browser's lastEventId (sent back as Last-Event-ID on reconnect). */
  id?: string
  /** Event type; omitted means "message". */
  event?: string
  /** Text, any line breaks allowed: one data: line per line keeps it intact (HTML with <pre>). */
  data: string
}

function field (name: string, value: string): string {
  if (!FIELD_VALUE.test(value)) throw new TypeError(`SSE ${name} must not contain line breaks or NUL: ${JSON.stringify(value)}`)
  return `${name}: ${value}\n`
}

export function encodeEvent ({ id, event, data }: SseEvent): Buffer {
  let frame = ''
  if (id !== undefined) frame += field('id', id)
  if (event !== undefined) frame += field('event', event)
  // "data: " + line: the parser drops exactly one space after the colon, so a line's own
  // leading spaces survive.
  for (const line of data.split(LINE_BREAK)) frame += `data: ${line}\n`
  return Buffer.from(frame + '\n', 'utf8')
}

/**
 * A frame with only an id: the browser updates its lastEventId without firing any event
 * (an event with no data is not dispatched). An empty id clears it.
 */
export function encodeIdOnly (id: string): Buffer {
  return Buffer.from(field('id', id) + '\n', 'utf8')
}

/** A comment line: ignored by browsers, keeps proxies and idle timers from closing the stream. */
export function encodeComment (text: string): Buffer {
  return Buffer.from(text.split(LINE_BREAK).map((line) => `: ${line}\n`).join('') + '\n', 'utf8')
}

/** Tells the browser how long to wait before reconnecting. */
export function encodeRetry (ms: number): Buffer {
  if (!Number.isInteger(ms) || ms < 0) throw new TypeError(`SSE retry must be a non-negative integer: ${ms}`)
  return Buffer.from(`retry: ${ms}\n\n`, 'utf8')
}

/** Event names the hub accepts: they go into an event: line and into htmx attributes. */
export function isValidEventName (name: string): boolean {
  return /^[A-Za-z0-9_.:-]{1,100}$/.test(name)
}
