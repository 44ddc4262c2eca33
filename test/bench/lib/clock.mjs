// The one clock for latencies measured across processes: the machine's monotonic clock
// (CLOCK_MONOTONIC, the same for every process), in ms. performance.timeOrigin + performance.now()
// is not: each process fixes its wall-clock origin when it starts, so a clock step or slew
// afterwards (NTP, a VM's clock being corrected) puts processes seconds apart — a bench run here
// measured 11 s "latencies" that way, and p50s growing 39 → 140 → 234 ms across rounds.
export function now () {
  return Number(process.hrtime.bigint()) / 1e6
}
