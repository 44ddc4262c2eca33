// A dependency (Redis, the database) is down or too slow: the request gets 503 with Retry-After
// naming the dependency, never a 500 and never a wait of minutes.

import { DEFAULT_RETRY_AFTER_S } from '../errors.js'

export { DEFAULT_RETRY_AFTER_S }

export class DependencyUnavailableError extends Error {
  readonly statusCode = 503
  readonly retryAfterSeconds: number

  /** dependency: what a person would recognise ("Redis", "the database"); detail goes to the log only. */
  constructor (readonly dependency: string, readonly detail: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(`${dependency} is unavailable: ${detail}`, options)
    this.name = 'DependencyUnavailableError'
    this.retryAfterSeconds = options?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S
  }
}
