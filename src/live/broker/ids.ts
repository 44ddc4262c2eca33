// Message ids: "<milliseconds>-<sequence>", the format of Redis Stream ids, used by both brokers.
// One format means one comparison, one validation, and ids that keep growing across restarts
// of the in-process broker (they start from the clock, not from 1).

/** Both parts are decimal integers without leading zeros, at most 20 digits... */
const ID_PATTERN = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/
/** ...and each at most 2^64 - 1, Redis's limit: a larger part makes Redis answer "Invalid stream ID". */
const MAX_PART = '18446744073709551615'

/**
 * The id before every message. As a last id it means "I have seen nothing of this channel":
 * readAfter answers the whole retained history, complete while nothing was ever trimmed.
 * Pages rendered while a channel is still empty connect with it.
 */
export const ORIGIN_ID = '0-0'

function withinRange (part: string): boolean {
  return part.length < MAX_PART.length || part <= MAX_PART
}

/** A well-formed id Redis would accept: checked on every id that comes from outside (HTTP, Redis). */
export function isValidId (id: unknown): id is string {
  if (typeof id !== 'string') return false
  const match = ID_PATTERN.exec(id)
  return match !== null && withinRange(match[1]!) && withinRange(match[2]!)
}

/** The milliseconds part of a valid id as a number (beyond 2^53 it is approximate, which is fine for comparisons with a clock). */
export function idMilliseconds (id: string): number {
  return Number(id.slice(0, id.indexOf('-')))
}

function compareDecimal (a: string, b: string): number {
  // Ids never have leading zeros (Redis never writes them, the generator below neither;
  // isValidId is checked on anything that comes from outside), so longer means larger.
  if (a.length !== b.length) return a.length < b.length ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Orders two ids: negative when a is older, 0 when equal, positive when a is newer.
 * Runs once per client per message, hence string slicing rather than a regular expression.
 */
export function compareIds (a: string, b: string): number {
  if (a === b) return 0
  const da = a.indexOf('-')
  const db = b.indexOf('-')
  if (da < 0 || db < 0) throw new TypeError(`Not a message id: ${da < 0 ? a : b}`)
  return compareDecimal(a.slice(0, da), b.slice(0, db)) || compareDecimal(a.slice(da + 1), b.slice(db + 1))
}

/** Hands out strictly increasing ids from the clock, like Redis does for XADD '*'. */
export class IdGenerator {
  private lastMs = 0
  private sequence = 0

  constructor (private readonly now: () => number = Date.now) {}

  next (): string {
    const ms = this.now()
    if (ms > this.lastMs) {
      this.lastMs = ms
      this.sequence = 0
    } else {
      // Same millisecond, or the clock went backwards: keep the last time, bump the sequence.
      this.sequence += 1
    }
    return `${this.lastMs}-${this.sequence}`
  }
}
