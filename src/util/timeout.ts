// Bounds a wait on a dependency: a page must not hang because Redis or PostgreSQL does.

export class TimeoutError extends Error {
  constructor (readonly what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

/** Resolves like `work`, or rejects with TimeoutError after ms (work's late result is ignored). */
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
