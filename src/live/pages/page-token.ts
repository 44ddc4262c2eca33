// The token of a page stream: which channels a page may read, until when, signed by the server
// at render time (the idea of Turbo's signed stream names and Mercure's subscribe claims).
// "<base64url JSON {c: channels, e: expiry ms}>.<base64url HMAC-SHA256>". The MAC covers a
// purpose prefix too, so no other signature of the same keys (a cookie) passes for a token.
import { assertChannelName } from '../broker/broker.js'
import { isValidEventName } from '../stream/sse-frame.js'

export interface TokenKeys {
  sign (data: string): string
  verify (data: string, mac: string): boolean
}

export interface PageGrant {
  /** Channels of the page, in cursor order. */
  readonly channels: readonly string[]
  /** Expiry, ms since the epoch. */
  readonly expiresAt: number
}

export type TokenCheck =
  | { ok: true, grant: PageGrant }
  | { ok: false, reason: 'missing' | 'malformed' | 'bad-signature' | 'expired' }

/** Channels one page may carry (each costs the server a reader per connection). */
export const MAX_PAGE_CHANNELS = 32
/** Page stream channels double as SSE event names, which are at most 100 characters. */
export const MAX_PAGE_CHANNEL_LENGTH = 100

const PURPOSE = 'flc:live-page:v1\n'
const TOKEN_SHAPE = /^([A-Za-z0-9_-]{1,16000})\.([A-Za-z0-9_-]{43})$/

/** Throws a TypeError naming the problem when a page cannot carry these channels. */
export function assertPageChannels (channels: readonly string[]): void {
  if (channels.length === 0 || channels.length > MAX_PAGE_CHANNELS) {
    throw new TypeError(`A page stream carries 1 to ${MAX_PAGE_CHANNELS} channels; got ${channels.length}`)
  }
  for (const channel of channels) {
    assertChannelName(channel)
    if (channel.length > MAX_PAGE_CHANNEL_LENGTH || !isValidEventName(channel)) {
      throw new TypeError(`Channel ${JSON.stringify(channel)} cannot join a page stream: at most ${MAX_PAGE_CHANNEL_LENGTH} characters`)
    }
  }
  if (new Set(channels).size !== channels.length) throw new TypeError('A page stream lists each channel once')
}

export function signPageToken (keys: TokenKeys, grant: PageGrant): string {
  assertPageChannels(grant.channels)
  const body = Buffer.from(JSON.stringify({ c: grant.channels, e: grant.expiresAt })).toString('base64url')
  return `${body}.${keys.sign(PURPOSE + body)}`
}

/**
 * Checks a token from a request. The signature is checked before the body is parsed (nothing
 * unsigned is interpreted). With allowExpired an expired token still reads (renewal: the
 * caller authorizes its channels again).
 */
export function readPageToken (keys: TokenKeys, token: unknown, now: number, allowExpired = false): TokenCheck {
  if (typeof token !== 'string' || token === '') return { ok: false, reason: 'missing' }
  const match = TOKEN_SHAPE.exec(token)
  if (match === null) return { ok: false, reason: 'malformed' }
  const [, body, mac] = match as unknown as [string, string, string]
  if (!keys.verify(PURPOSE + body, mac)) return { ok: false, reason: 'bad-signature' }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  const { c: channels, e: expiresAt } = (value ?? {}) as { c?: unknown, e?: unknown }
  if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string') || !Number.isSafeInteger(expiresAt)) {
    return { ok: false, reason: 'malformed' }
  }
  try {
    assertPageChannels(channels as string[])
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  if (!allowExpired && (expiresAt as number) <= now) return { ok: false, reason: 'expired' }
  return { ok: true, grant: { channels: channels as string[], expiresAt: expiresAt as number } }
}
