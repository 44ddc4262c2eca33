// The one way tests wait for something to become true: poll with a bound, and fail naming what
// was awaited. The bound is a safety net against a hang, never a speed assertion (the machine is
// shared and slow), so it is generous by default.

export interface WaitOptions {
  /** What is awaited, for the error: "the count update", "3 instances ready". */
  what: string
  /** Give up after this long (default 15 s). */
  timeoutMs?: number
  /** Poll this often (default 10 ms). */
  intervalMs?: number
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Resolves once check() holds (it may be async); rejects after timeoutMs naming `what`. */
export async function waitFor (check: () => boolean | Promise<boolean>, { what, timeoutMs = 15_000, intervalMs = 10 }: WaitOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}
