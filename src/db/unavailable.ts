// Tells a database outage (refused, cut, frozen, timed out) from everything else a query can
// throw, so the request gets 503 + Retry-After naming the database instead of a 500.
// Prisma passes driver errors through with its clientVersion attached, in several shapes:
// plain pg errors ("Query read timeout", "Connection terminated ..."), initialization errors,
// P1xxx connection codes, P2024 (pool timeout), and P2010 wrapping a driver adapter error.
import { DependencyUnavailableError } from '../util/dependency-error.js'

/** Prisma error codes that are answers about the data, not about reaching the database. */
const DATA_ERROR = /^P20(0\d|1[1-9]|2[0-35-9]|3\d)$/

export function isDatabaseUnavailable (error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('clientVersion' in error)) return false
  const { name, code } = error as { name?: unknown, code?: unknown }
  if (name === 'PrismaClientValidationError') return false // a bug in our query, not an outage
  if (typeof code === 'string' && DATA_ERROR.test(code)) return false
  return true
}

/**
 * SQLSTATE classes that say the database cannot answer now (connection exception, operator
 * intervention such as a statement timeout or shutdown, insufficient resources), as opposed to
 * an answer about the query or the data.
 */
const OUTAGE_SQLSTATE = /^(08|57|53)/

/**
 * For queries sent straight through the pg driver (no Prisma wrapping): a timeout, a cut
 * connection or a refused one becomes DependencyUnavailableError (503 naming the database);
 * any other error (a bug, bad data) is returned as it is.
 */
export function asUnavailable (error: unknown): unknown {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return error // our bug
  const code = (error as { code?: unknown } | null)?.code
  const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
  if (sqlstate !== undefined && !OUTAGE_SQLSTATE.test(sqlstate)) return error
  return new DependencyUnavailableError('the database', (error as Error)?.message ?? String(error), { cause: error })
}
