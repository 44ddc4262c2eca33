// Compact latency histogram (log-linear, ~1.6% resolution) so a load client can record
// millions of samples in a fixed 7 KB array instead of a per-sample list.
// Values are non-negative integers (the benchmarks record microseconds).

const LINEAR = 128 // values below this are stored exactly
const SUB_BITS = 6 // 64 sub-buckets per power of two above LINEAR
const SUB = 1 << SUB_BITS
const MAX_VALUE = 2 ** 31 - 1 // about 36 minutes in microseconds
const SIZE = LINEAR + (31 - 7) * SUB

function bucketOf (value) {
  if (value < LINEAR) return value
  const exponent = 31 - Math.clz32(value) // >= 7
  const shift = exponent - SUB_BITS
  return LINEAR + (exponent - 7) * SUB + ((value >>> shift) - SUB)
}

// Midpoint of the values a bucket holds: the error is at most half a bucket width.
function valueOf (bucket) {
  if (bucket < LINEAR) return bucket
  const exponent = Math.floor((bucket - LINEAR) / SUB) + 7
  const sub = (bucket - LINEAR) % SUB + SUB
  const shift = exponent - SUB_BITS
  return (sub << shift) + ((1 << shift) - 1) / 2
}

export class Histogram {
  constructor () {
    this.counts = new Uint32Array(SIZE)
    this.total = 0
    this.sum = 0
    this.min = Infinity
    this.max = 0
  }

  record (value) {
    const v = value <= 0 ? 0 : value >= MAX_VALUE ? MAX_VALUE : Math.round(value)
    this.counts[bucketOf(v)]++
    this.total++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  /** Adds another histogram (or its toJSON() form) into this one. */
  merge (other) {
    const o = other instanceof Histogram ? other.toJSON() : other
    for (let i = 0; i < o.buckets.length; i += 2) this.counts[o.buckets[i]] += o.buckets[i + 1]
    this.total += o.total
    this.sum += o.sum
    if (o.total > 0) {
      if (o.min < this.min) this.min = o.min
      if (o.max > this.max) this.max = o.max
    }
    return this
  }

  /**
   * The value at percentile p (0–100). `missing` counts samples known to be larger than
   * anything recorded (messages never delivered): when the rank falls among them the
   * answer is Infinity, so an undelivered backlog cannot make a percentile look good.
   */
  percentile (p, missing = 0) {
    const n = this.total + missing
    if (n === 0) return NaN
    const rank = Math.max(1, Math.ceil((p / 100) * n))
    if (rank > this.total) return Infinity
    if (rank === this.total) return this.max
    let seen = 0
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]
      if (seen >= rank) return Math.min(valueOf(i), this.max)
    }
    return this.max
  }

  mean () { return this.total === 0 ? NaN : this.sum / this.total }

  /** Sparse form for IPC and JSON: [bucket, count, bucket, count, ...]. */
  toJSON () {
    const buckets = []
    for (let i = 0; i < SIZE; i++) if (this.counts[i] !== 0) buckets.push(i, this.counts[i])
    return { buckets, total: this.total, sum: this.sum, min: this.total ? this.min : 0, max: this.max }
  }

  static from (json) { return new Histogram().merge(json) }
}
