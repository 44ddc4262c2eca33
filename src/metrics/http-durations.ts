// HTTP request durations by method, route pattern and status, observed on every request: a
// fixed-bucket histogram per series (LatencyHistogram) found through nested maps, so a request of
// a series already seen allocates nothing here (prom-client's observe() builds a label object and
// a hash string per call). Read as a Prometheus histogram at scrape time.
import { LatencyHistogram } from '../util/latency-histogram.js'
import { histogramSamples, type Sample } from './snapshot-metric.js'

export class HttpDurations {
  /** route pattern → method → status code → histogram. */
  private readonly series = new Map<string, Map<string, Map<number, LatencyHistogram>>>()

  constructor (readonly name: string) {}

  /** route: the route pattern (never the raw URL: unknown paths would each make a series). */
  observe (method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.series.get(route)
    if (byMethod === undefined) this.series.set(route, byMethod = new Map())
    let byStatus = byMethod.get(method)
    if (byStatus === undefined) byMethod.set(method, byStatus = new Map())
    let histogram = byStatus.get(statusCode)
    if (histogram === undefined) byStatus.set(statusCode, histogram = new LatencyHistogram())
    histogram.observe(seconds)
  }

  samples (): Sample[] {
    const samples: Sample[] = []
    for (const [route, byMethod] of this.series) {
      for (const [method, byStatus] of byMethod) {
        for (const [status, histogram] of byStatus) {
          samples.push(...histogramSamples(this.name, { method, route, status_code: String(status) }, histogram.snapshot()))
        }
      }
    }
    return samples
  }
}
