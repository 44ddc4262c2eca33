// Tells a database outage (refused, cut, frozen, timed out) from everything else a query can
// throw, so the request gets 503 + Retry-After naming the database instead of a 500.
// Prisma passes driver errors through with its clientVersion attached, in several shapes:
// plain pg errors ("Query read timeout", "Connection terminated ..."), initialization errors,
// P1xxx connection codes, P2024 (pool timeout), and P2010 wrapping a driver adapter error.

/** Prisma error codes that are answers about the data, not about reaching the database. */
const DATA_ERROR = /^P20(0\d|1[1-9]|2[0-35-9]|3\d)$/

export function isDatabaseUnavailable (error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('clientVersion' in error)) return false
  const { name, code } = error as { name?: unknown, code?: unknown }
  if (name === 'PrismaClientValidationError') return false // a bug in our query, not an outage
  if (typeof code === 'string' && DATA_ERROR.test(code)) return false
  return true
}
