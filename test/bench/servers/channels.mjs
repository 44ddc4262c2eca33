// Benchmark server for the channel sweep: the product's Redis broker (from dist/) subscribed to
// BENCH_CHANNELS channels c0…c<N-1>, counting what it receives. Driven over IPC by the
// orchestrator: {cmd:'count'} → {received}; {cmd:'close'}.
// Env: BENCH_ROOT (product root), BENCH_PREFIX, BENCH_CHANNELS, and REDIS_URL or REDIS_CLUSTER_NODES.
const root = process.env.BENCH_ROOT
const { RedisBroker } = await import(`${root}/dist/src/live/broker/redis-broker.js`)
const logger = { debug () {}, info () {}, warn (o, m) { process.stderr.write(`${m}\n`) }, error (o, m) { process.stderr.write(`${m} ${o?.err?.message ?? ''}\n`) } }
const channels = Number(process.env.BENCH_CHANNELS)
const broker = await RedisBroker.connect({
  url: process.env.REDIS_URL || undefined,
  clusterNodes: process.env.REDIS_CLUSTER_NODES ? process.env.REDIS_CLUSTER_NODES.split(',') : undefined,
  prefix: process.env.BENCH_PREFIX,
  historySize: 100,
  logger
})
let received = 0
const started = performance.now()
// 200 subscriptions in flight at a time: what a process declaring many channels at start-up does.
for (let from = 0; from < channels; from += 200) {
  const batch = []
  for (let i = from; i < Math.min(channels, from + 200); i++) batch.push(broker.subscribe(`c${i}`, () => { received++ }))
  await Promise.all(batch)
}
process.send({ type: 'ready', subscribeMs: performance.now() - started })
process.on('message', (msg) => {
  if (msg.cmd === 'count') process.send({ type: 'count', received })
  if (msg.cmd === 'close') broker.close().finally(() => process.exit(0))
})
