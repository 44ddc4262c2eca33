// Logging at a bounded rate: hostile input (forged Redis messages, floods of refused streams)
// must not turn into a flood of log lines. The first `burst` lines of each window are written;
// the rest are counted and reported in one line when the next window opens.

export interface LimitedLogger {
  warn (obj: object, msg?: string): void
}

export class LogLimiter {
  private windowStart = 0
  private written = 0
  private suppressed = 0

  constructor (
    private readonly logger: LimitedLogger,
    /** Names what is being limited, for the "N more" summary line. */
    private readonly what: string,
    private readonly burst = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now
  ) {}

  /** Logs at warn level unless this window's budget is spent; true when written. */
  warn (obj: object, msg: string): boolean {
    const now = this.now()
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) {
        this.logger.warn({ suppressed: this.suppressed, windowMs: this.windowMs }, `${this.suppressed} more ${this.what} were not logged (rate limit)`)
      }
      this.windowStart = now
      this.written = 0
      this.suppressed = 0
    }
    if (this.written >= this.burst) {
      this.suppressed++
      return false
    }
    this.written++
    this.logger.warn(obj, msg)
    return true
  }
}
