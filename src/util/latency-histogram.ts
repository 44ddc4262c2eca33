// A fixed-bucket latency histogram kept inside the stats() objects (live channels, brokers,
// the database). Observing is an array walk over a dozen bounds, cheap enough for every
// message; /metrics reads the counts as a Prometheus histogram when it is scraped.

/** Upper bounds in seconds: 100 µs to 10 s, the range between a local render and a stuck dependency. */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

export interface LatencySnapshot {
  /** Upper bounds in seconds, ascending (the +Inf bucket is `count`). */
  readonly buckets: readonly number[]
  /** Observations <= each bound (cumulative, as Prometheus wants them). */
  readonly cumulative: number[]
  readonly count: number
  readonly sumSeconds: number
}

export class LatencyHistogram {
  private readonly counts = new Array<number>(LATENCY_BUCKETS.length).fill(0)
  private count = 0
  private sumSeconds = 0

  observe (seconds: number): void {
    if (!(seconds >= 0)) seconds = 0 // NaN or a clock step backwards
    this.count++
    this.sumSeconds += seconds
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]!) {
        this.counts[i]!++
        return
      }
    }
  }

  /** Observes the time since a performance.now() reading. */
  since (startMs: number): void {
    this.observe((performance.now() - startMs) / 1000)
  }

  snapshot (): LatencySnapshot {
    let running = 0
    const cumulative = this.counts.map((n) => (running += n))
    return { buckets: LATENCY_BUCKETS, cumulative, count: this.count, sumSeconds: this.sumSeconds }
  }
}
