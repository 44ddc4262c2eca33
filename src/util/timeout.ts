// The one bounded wait: every wait on a dependency has a limit. A caller that must go on
// regardless (e.g. a shutdown step) catches the TimeoutError itself.
import { TimeoutError } from '../errors.js'

export { TimeoutError }

/** Resolves like `work`, or rejects with TimeoutError after ms (work's late result or rejection is ignored). */
export async function withTimeout<T> (work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms)
  })
  work.catch(() => {}) // a rejection after the timeout is not unhandled
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
