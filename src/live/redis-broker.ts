// Redis broker: exactly two connections per process whatever the number of browsers and
// channels. One command connection (scripts, history reads) and one subscriber connection
// shared by every channel; messages fan out to local handlers in memory.
//
// Delivery path: publish() runs a script that XADDs to the channel's stream and PUBLISHes an
// envelope "<id>\n<payload>"; every process subscribed to the envelope channel hands it to its
// handlers. A raw PUBLISH on the plain channel (the seed's script, redis-cli) is also accepted:
// every process subscribes to it and runs the ingest script, which stores and announces it once
// (see RAW_DEDUPE_WINDOW_MS for the dedupe caveat).
//
// After the subscriber connection comes back, every channel is subscribed again and what was
// published meanwhile is read from the stream and delivered, so local handlers see no gap.
import { randomBytes } from 'node:crypto'
import {
  assertChannelName, emptyStats, MAX_PAYLOAD_BYTES, payloadBytes, PayloadTooLargeError,
  type Broker, type BrokerMessage, type BrokerStats, type HistoryRead, type LiveLogger, type MessageHandler, type Unsubscribe
} from './broker.js'
import { compareIds } from './ids.js'
import { LatencyHistogram } from '../util/latency-histogram.js'
import { closeRedis } from './redis-connection.js'
import { redisTopology, type RedisClient, type RedisTopology } from './redis-topology.js'
import { RedisChannelStore, type ChannelKeys } from './redis-store.js'

/** Redis Cluster: pause before re-subscribing again when a failover left a slot without a master. */
const RESUBSCRIBE_RETRY_MS = 500

/** Bound of each shutdown step, so a dead Redis cannot hold the process up. */
const CLOSE_STEP_MS = 2000

async function withTimeout (work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work, new Promise((resolve) => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}

export interface RedisBrokerOptions {
  /** REDIS_URL: plain Redis (required unless clusterNodes is given). */
  url?: string
  /** REDIS_CLUSTER_NODES: seed URLs of a Redis Cluster (>= 7: sharded pub/sub). */
  clusterNodes?: readonly string[]
  /** CHANNEL_PREFIX: prefixes every channel and key. */
  prefix: string
  /** LIVE_HISTORY_SIZE: approximate stream length kept per channel (MAXLEN ~). */
  historySize: number
  /**
   * Base of the CLIENT SETNAME names: the connections are "<name>:cmd" and "<name>:sub".
   * Default: "flc:<pid>:<random>" (unique per broker, so CLIENT LIST can count them).
   */
  connectionName?: string
  logger: LiveLogger
}

interface ChannelState {
  readonly channel: string
  readonly keys: ChannelKeys
  readonly handlers: Set<MessageHandler>
  ready: Promise<void>
  /** Newest id handed to handlers: later duplicates or older ids are skipped. */
  lastDelivered: string | null
  /** Newest stored id when the subscription started: where recovery starts if nothing came. */
  baseline: string | null
  /** While re-subscribing after a reconnect, live envelopes wait here. */
  held: BrokerMessage[] | null
}

export function defaultConnectionName (): string {
  return `flc:${process.pid}:${randomBytes(3).toString('hex')}`
}

export class RedisBroker implements Broker {
  readonly kind = 'redis' as const
  private readonly channels = new Map<string, ChannelState>()
  private readonly pendingIngests = new Set<Promise<void>>()
  private readonly byEnvelope = new Map<string, ChannelState>()
  private readonly byRaw = new Map<string, ChannelState>()
  private readonly counters = emptyStats('redis')
  private readonly publishTime = new LatencyHistogram()
  private readonly store: RedisChannelStore
  private resubscribing: Promise<void> = Promise.resolve()
  /** A resubscribeAll() is waiting to start: later events need no run of their own. */
  private resubscribeQueued = false
  private closed = false

  private constructor (
    private readonly command: RedisClient,
    private readonly subscriber: RedisClient,
    readonly connectionName: string,
    private readonly options: RedisBrokerOptions,
    private readonly topology: RedisTopology
  ) {
    this.store = new RedisChannelStore(command, options.prefix, options.historySize, topology.sharded)
    topology.onMessage(subscriber, (channel: string, message: string) => this.onPubSub(channel, message))
    // Subscriptions came back (reconnect, failover): deliver what was published meanwhile.
    topology.onResubscribed(subscriber, () => this.queueResubscribe())
  }

  /** A cluster failover reports many resubscriptions in a burst: one queued run covers them all. */
  private queueResubscribe (): void {
    if (this.resubscribeQueued || this.closed) return
    this.resubscribeQueued = true
    this.resubscribing = this.resubscribing.then(() => {
      this.resubscribeQueued = false
      return this.resubscribeAll()
    })
  }

  static async connect (options: RedisBrokerOptions): Promise<RedisBroker> {
    if (!Number.isInteger(options.historySize) || options.historySize < 1) {
      throw new TypeError('RedisBroker: historySize must be an integer >= 1 (LIVE_HISTORY_SIZE)')
    }
    const name = options.connectionName ?? defaultConnectionName()
    const topology = redisTopology(options)
    const command = await topology.open({ connectionName: `${name}:cmd` }, options.logger, 'command')
    let subscriber: RedisClient
    try {
      // autoResubscribe is off: resubscribeAll() does it, then recovers the gap from history.
      subscriber = await topology.open({ connectionName: `${name}:sub`, autoResubscribe: false }, options.logger, 'subscriber')
    } catch (error) {
      command.disconnect()
      throw error
    }
    return new RedisBroker(command, subscriber, name, options, topology)
  }

  async publish (channel: string, payload: string): Promise<string> {
    assertChannelName(channel)
    if (this.closed) throw new Error('RedisBroker: publish after close')
    const bytes = payloadBytes(payload)
    if (bytes > MAX_PAYLOAD_BYTES) {
      this.counters.rejectedTooLarge++
      throw new PayloadTooLargeError(channel, bytes)
    }
    const started = performance.now()
    const id = await this.store.publish(channel, payload)
    this.publishTime.since(started)
    this.counters.published++
    return id
  }

  async subscribe (channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    assertChannelName(channel)
    if (this.closed) throw new Error('RedisBroker: subscribe after close')
    let state = this.channels.get(channel)
    if (state === undefined) {
      const created: ChannelState = {
        channel, keys: this.store.keys(channel), handlers: new Set(), ready: Promise.resolve(), lastDelivered: null, baseline: null, held: null
      }
      this.channels.set(channel, created)
      this.byEnvelope.set(created.keys.envelope, created)
      this.byRaw.set(created.keys.raw, created)
      created.ready = this.activate(created)
      state = created
    }
    const entry: MessageHandler = (message) => handler(message)
    state.handlers.add(entry)
    const subscribed = state
    try {
      await subscribed.ready
    } catch (error) {
      subscribed.handlers.delete(entry)
      if (subscribed.handlers.size === 0) this.forget(subscribed)
      throw error
    }
    let done = false
    return async () => {
      if (done) return
      done = true
      subscribed.handlers.delete(entry)
      if (subscribed.handlers.size === 0 && this.channels.get(channel) === subscribed) {
        // Unsubscribe before forgetting: a raw message that arrives until Redis confirms is
        // still ingested (stored for the other processes and for replay), not dropped.
        if (!this.closed) {
          await this.topology.unsubscribe(this.subscriber, [subscribed.keys.envelope], [subscribed.keys.raw]).catch((error: unknown) => {
            this.options.logger.warn({ err: error, channel }, 'Redis UNSUBSCRIBE failed')
          })
        }
        if (subscribed.handlers.size === 0) this.forget(subscribed)
      }
    }
  }

  private async activate (state: ChannelState): Promise<void> {
    await this.topology.subscribe(this.subscriber, [state.keys.envelope], [state.keys.raw])
    state.baseline = await this.store.lastId(state.channel)
  }

  private forget (state: ChannelState): void {
    if (this.channels.get(state.channel) !== state) return
    this.channels.delete(state.channel)
    this.byEnvelope.delete(state.keys.envelope)
    this.byRaw.delete(state.keys.raw)
  }

  private onPubSub (redisChannel: string, message: string): void {
    const state = this.byEnvelope.get(redisChannel)
    if (state !== undefined) {
      const newline = message.indexOf('\n')
      if (newline < 0) return
      const envelope: BrokerMessage = { id: message.slice(0, newline), payload: message.slice(newline + 1) }
      if (state.held !== null) state.held.push(envelope)
      else this.deliver(state, envelope)
      return
    }
    const rawState = this.byRaw.get(redisChannel)
    if (rawState !== undefined) this.ingestRaw(rawState.channel, message)
  }

  private ingestRaw (channel: string, payload: string): void {
    const bytes = payloadBytes(payload)
    if (bytes > MAX_PAYLOAD_BYTES) {
      this.counters.rejectedTooLarge++
      this.options.logger.warn({ channel, bytes, limit: MAX_PAYLOAD_BYTES }, 'raw live message over the size limit: not stored')
      return
    }
    const ingest = this.store.ingestRaw(channel, payload).then((id) => {
      if (id === null) this.counters.rawDuplicates++
      else this.counters.rawIngested++
    }, (error: unknown) => {
      this.options.logger.error({ err: error, channel }, 'storing a raw live message failed; it is lost for this process')
    })
    // close() waits for these, so a message that arrived during shutdown is still stored.
    this.pendingIngests.add(ingest)
    ingest.finally(() => this.pendingIngests.delete(ingest)).catch(() => {})
  }

  private deliver (state: ChannelState, message: BrokerMessage): void {
    if (state.lastDelivered !== null && compareIds(message.id, state.lastDelivered) <= 0) return
    state.lastDelivered = message.id
    for (const handler of state.handlers) {
      try {
        handler(message)
      } catch (error) {
        this.options.logger.error({ err: error, channel: state.channel }, 'live subscriber threw; message delivered to the others')
      }
    }
  }

  /** After a reconnect: subscribe everything again, then deliver what was missed meanwhile. */
  private async resubscribeAll (): Promise<void> {
    const states = [...this.channels.values()]
    if (this.closed || states.length === 0) return
    for (const state of states) state.held ??= []
    try {
      await this.topology.subscribe(this.subscriber, states.map((s) => s.keys.envelope), states.map((s) => s.keys.raw))
      // From here on new envelopes are held; everything older is in the streams.
      for (const state of states) {
        const from = state.lastDelivered ?? state.baseline
        if (from === null) continue
        const history = await this.store.readAfter(state.channel, from)
        if (!history.complete) {
          this.options.logger.warn({ channel: state.channel, from }, 'live history was trimmed during the Redis outage: some messages are lost')
        }
        for (const message of history.messages) this.deliver(state, message)
      }
      this.counters.resubscriptions++
      this.options.logger.info({ channels: states.length }, 'Redis subscriber reconnected; channels re-subscribed')
    } catch (error) {
      this.options.logger.error({ err: error }, 'Re-subscribing after a Redis reconnect failed; retried on the next reconnect')
      // A plain connection reconnects (and reports it) by itself. A cluster may report its last
      // topology change before the promoted replica serves the slot: try again shortly.
      if (this.topology.sharded) setTimeout(() => this.queueResubscribe(), RESUBSCRIBE_RETRY_MS).unref()
    } finally {
      for (const state of states) {
        const held = state.held ?? []
        state.held = null
        for (const message of held) this.deliver(state, message)
      }
    }
  }

  readAfter (channel: string, lastId: string): Promise<HistoryRead> {
    assertChannelName(channel)
    return this.store.readAfter(channel, lastId)
  }

  lastId (channel: string): Promise<string | null> {
    assertChannelName(channel)
    return this.store.lastId(channel)
  }

  compareIds (a: string, b: string): number {
    return compareIds(a, b)
  }

  stats (): BrokerStats {
    let handlers = 0
    for (const state of this.channels.values()) handlers += state.handlers.size
    return { ...this.counters, channels: this.channels.size, handlers, publishSeconds: this.publishTime.snapshot() }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Stop receiving first, then let raw messages already received finish storing, and only
    // then quit: a message published during shutdown is stored, not lost with this process.
    await withTimeout(this.subscriber.unsubscribe().catch(() => {}), CLOSE_STEP_MS)
    await withTimeout(Promise.allSettled([...this.pendingIngests]), CLOSE_STEP_MS)
    for (const state of [...this.channels.values()]) this.forget(state)
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.command)])
  }
}
