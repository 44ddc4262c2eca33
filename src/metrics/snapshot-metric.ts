// A prom-client metric whose samples are read from a stats() object when /metrics is scraped.
// The counting stays where it already happens (LiveChannel, brokers, database); nothing is
// incremented twice and the hot paths do not know about Prometheus.
import type { LatencySnapshot } from '../util/latency-histogram.js'

export type Labels = Record<string, string>

export interface Sample {
  value: number
  labels?: Labels
  /** For histogram parts: name_bucket, name_sum, name_count. */
  metricName?: string
}

export type MetricType = 'counter' | 'gauge' | 'histogram'

export class SnapshotMetric {
  readonly aggregator = 'sum'

  constructor (
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => Sample[]
  ) {}

  get (): { name: string, help: string, type: MetricType, aggregator: string, values: Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() }
  }

  /** Nothing to reset: the numbers belong to the stats objects. */
  reset (): void {}
}

/** The samples of one labelled Prometheus histogram from a LatencySnapshot. */
export function histogramSamples (name: string, labels: Labels, snapshot: LatencySnapshot): Sample[] {
  const samples: Sample[] = snapshot.buckets.map((bound, i) => ({
    metricName: `${name}_bucket`, labels: { ...labels, le: String(bound) }, value: snapshot.cumulative[i]!
  }))
  samples.push(
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: snapshot.count },
    { metricName: `${name}_sum`, labels, value: snapshot.sumSeconds },
    { metricName: `${name}_count`, labels, value: snapshot.count }
  )
  return samples
}
