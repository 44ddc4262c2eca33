// The `id:` of a page stream: the position of every channel of the page, in the order of the
// page's token, e.g. "1764400000000-0_0-0_1764400000123-4". A browser that reconnects with it
// resumes each channel exactly where it stopped, on any process (Redis ids) or after a restart.
import { isValidId, ORIGIN_ID } from '../broker/ids.js'

/** Ids are "<digits>-<digits>": "_" can never occur inside one. */
const SEPARATOR = '_'

export function formatCursor (positions: ReadonlyArray<string | null>): string {
  let cursor = positions[0] ?? ORIGIN_ID
  for (let i = 1; i < positions.length; i++) cursor += SEPARATOR + (positions[i] ?? ORIGIN_ID)
  return cursor
}

/** One valid id per channel, or null when the cursor does not fit a page of `count` channels. */
export function parseCursor (cursor: string, count: number): string[] | null {
  if (cursor.length > count * 42) return null
  const positions = cursor.split(SEPARATOR)
  if (positions.length !== count || !positions.every(isValidId)) return null
  return positions
}
