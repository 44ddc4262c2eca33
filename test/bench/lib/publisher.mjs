// Publishes benchmark notifications to Redis on its own connection, like any producer would.
// The message text carries the send time and a sequence number: `t:<ms> s:<seq>` (':' survives
// every HTML escaper unchanged, '=' does not).
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { sleep } from './procs.mjs'
import { now } from './clock.mjs'

export class Publisher {
  constructor (redisUrl, channel) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
    this.redis.on('error', (error) => console.error('publisher redis:', error.message))
    this.channel = channel
    this.seq = 0
    this.inFlight = []
  }

  get nextSeq () { return this.seq + 1 }

  /**
   * From now on publish the way the product's own publishers do (broker.publish, POST
   * /notifications, npm run notifications:random): its Lua script stores the message and
   * publishes the envelope in one round trip, where a plain PUBLISH is first ingested by a server.
   */
  async useProductPublish (oursRoot, prefix) {
    const { RedisChannelStore } = await import(`${oursRoot}/dist/src/live/broker/redis-store.js`)
    this.store = new RedisChannelStore(this.redis, prefix, 1000)
  }

  publishOne () {
    const seq = ++this.seq
    const t = now()
    const payload = `{"id":${seq},"title":"Bench ${seq}","message":"t:${t.toFixed(3)} s:${seq}","color":"blue","timestamp":"${new Date().toISOString()}"}`
    const reply = this.store === undefined ? this.redis.publish(this.channel, payload) : this.store.publish('notifications_channel', payload)
    this.inFlight.push(reply)
    if (this.inFlight.length >= 1000) this.flush()
    return seq
  }

  flush () {
    const replies = this.inFlight
    this.inFlight = []
    return Promise.all(replies)
  }

  /** `rate` messages per second, evenly spaced, for durationMs. Returns what was sent. */
  async fixedRate (rate, durationMs) {
    const count = Math.max(1, Math.round(rate * durationMs / 1000))
    const interval = 1000 / rate
    const firstSeq = this.nextSeq
    const start = performance.now()
    for (let i = 0; i < count; i++) {
      const due = start + i * interval
      const wait = due - performance.now()
      if (wait > 1) await sleep(wait)
      this.publishOne()
    }
    await this.flush()
    const seconds = (performance.now() - start) / 1000
    return { firstSeq, lastSeq: this.seq, published: count, seconds }
  }

  /**
   * Saturation: keeps at most `window` messages not yet delivered to every client in flight,
   * so the server always has work but no queue can grow without bound. Publishing follows
   * deliveries (reported by the load workers), i.e. "as fast as the service delivers".
   */
  async windowed ({ load, clients, window, durationMs, measureAfterMs, onMeasureStart = () => {}, maxMessages = 2_000_000 }) {
    const firstSeq = this.nextSeq
    const start = performance.now()
    const deadline = start + durationMs
    let mark = null
    while (performance.now() < deadline && this.seq - firstSeq < maxMessages) {
      const published = this.seq - firstSeq + 1
      if (published - load.delivered / clients < window) {
        this.publishOne()
        continue
      }
      await load.nextProgress(50)
      if (mark === null && performance.now() - start >= measureAfterMs) {
        mark = { t: performance.now(), delivered: load.delivered }
        onMeasureStart()
      }
    }
    const end = { t: performance.now(), delivered: load.delivered }
    await this.flush()
    if (mark === null) { mark = { t: start, delivered: 0 }; onMeasureStart() }
    return {
      firstSeq,
      lastSeq: this.seq,
      published: this.seq - firstSeq + 1,
      measuredSeconds: (end.t - mark.t) / 1000,
      measuredDeliveries: end.delivered - mark.delivered,
      mark
    }
  }

  close () { this.redis.disconnect() }
}
