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
import { compareIds, isValidId } from './ids.js'
import { LatencyHistogram } from '../../util/latency-histogram.js'
import { closeRedis } from './redis-connection.js'
import { redisTopology, type RedisClient, type RedisTopology } from './redis-topology.js'
import { RedisChannelStore } from './redis-store.js'
import { ChannelState, type DeliveryContext } from './redis-delivery.js'
import { withTimeout } from '../../util/timeout.js'
import { LogLimiter } from '../../util/log-limiter.js'
import { DependencyUnavailableError } from '../../util/dependency-error.js'

/** Pause before re-subscribing again when a recovery failed while the subscriber was up (a cluster slot without a master, the command connection not ready yet). */
const RESUBSCRIBE_RETRY_MS = 500
/** Envelopes kept while a failed recovery waits for its retry (the retry reads them from the stream anyway). */
const MAX_HELD_WHILE_RECOVERING = 10_000

/** Bound of each shutdown step, so a dead Redis cannot hold the process up. */
const CLOSE_STEP_MS = 2000

export interface RedisBrokerOptions {
  /** REDIS_URL: plain Redis (required unless clusterNodes is given). */
  url?: string
  /** REDIS_CLUSTER_NODES: seed URLs of a Redis Cluster (>= 7: sharded pub/sub). */
  clusterNodes?: readonly string[]
  /** CHANNEL_PREFIX: prefixes every channel and key. */
  prefix: string
  /** LIVE_HISTORY_SIZE: approximate stream length kept per channel (MAXLEN ~). */
  historySize: number
  /** REDIS_COMMAND_TIMEOUT_MS: longest wait for one Redis command (publish, history read). */
  commandTimeoutMs?: number
  /**
   * Base of the CLIENT SETNAME names: the connections are "<name>:cmd" and "<name>:sub".
   * Default: "flc:<pid>:<random>" (unique per broker, so CLIENT LIST can count them).
   */
  connectionName?: string
  /**
   * Whether a channel accepts a plain PUBLISH from any Redis client (stored in its history once,
   * then delivered). Default: every channel. Channels whose messages only the app may write
   * (live components from data, whose updates are coalesced) refuse them.
   */
  acceptsPlainPublish?: (channel: string) => boolean
  logger: LiveLogger
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
  private readonly badInputLog: LogLimiter
  /** What each channel's in-order delivery needs of the broker. */
  private readonly delivery: DeliveryContext

  private constructor (
    private readonly command: RedisClient,
    private readonly subscriber: RedisClient,
    readonly connectionName: string,
    private readonly options: RedisBrokerOptions,
    private readonly topology: RedisTopology
  ) {
    this.store = new RedisChannelStore(command, options.prefix, options.historySize, topology.sharded)
    this.badInputLog = new LogLimiter(options.logger, 'rejected Redis messages')
    this.delivery = { store: this.store, counters: this.counters, logger: options.logger, reject: (what, detail) => this.reject(what, detail) }
    topology.onMessage(subscriber, (channel: string, message: string) => {
      // Whatever arrives, nothing may escape an event handler: it would end the process.
      try {
        this.onPubSub(channel, message)
      } catch (error) {
        this.reject('a Redis message could not be handled', { channel, err: error })
      }
    })
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
    const commandTimeout = options.commandTimeoutMs ?? 2000
    // No offline queue and no resending after a reconnect on the command connection: a publish
    // that failed (and was answered as failed) must never be run later behind the caller's back.
    // A cluster keeps its queue through a failover (the election takes seconds); there the
    // publish script's deadline refuses what reaches Redis after the caller was answered.
    const noLateCommands = topology.sharded ? {} : { enableOfflineQueue: false, autoResendUnfulfilledCommands: false }
    const command = await topology.open({ connectionName: `${name}:cmd`, commandTimeout, ...noLateCommands }, options.logger, 'command')
    let subscriber: RedisClient
    try {
      // autoResubscribe is off: resubscribeAll() does it, then recovers the gap from history.
      subscriber = await topology.open({ connectionName: `${name}:sub`, autoResubscribe: false, commandTimeout }, options.logger, 'subscriber')
    } catch (error) {
      command.disconnect()
      throw error
    }
    const broker = new RedisBroker(command, subscriber, name, options, topology)
    await broker.store.syncClock()
    // Re-measured on every reconnect: a failover may land on a server with another clock.
    command.on('ready', () => { broker.store.syncClock().catch(() => {}) })
    return broker
  }

  /**
   * The command connection, for other small users of this Redis (the rate limiter): the process
   * keeps two connections whatever it does. Same rules: bounded commands, no offline queue.
   */
  get commandConnection (): RedisClient {
    return this.command
  }

  async publish (channel: string, payload: string): Promise<string> {
    assertChannelName(channel)
    if (this.closed) throw new Error('RedisBroker: publish after close')
    const bytes = payloadBytes(payload)
    if (bytes > MAX_PAYLOAD_BYTES) {
      this.counters.rejectedTooLarge++
      throw new PayloadTooLargeError(channel, bytes, MAX_PAYLOAD_BYTES)
    }
    const started = performance.now()
    let id: string
    try {
      id = await this.store.publish(channel, payload, this.options.commandTimeoutMs ?? 2000)
    } catch (error) {
      throw new DependencyUnavailableError('Redis', `publishing on "${channel}" failed (${(error as Error).message}); it was not published`, { cause: error })
    }
    this.publishTime.since(started)
    this.counters.published++
    return id
  }

  async subscribe (channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    assertChannelName(channel)
    if (this.closed) throw new Error('RedisBroker: subscribe after close')
    let state = this.channels.get(channel)
    if (state === undefined) {
      const created = new ChannelState(channel, this.store.keys(channel), this.delivery)
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

  private reject (what: string, detail: Record<string, unknown>): void {
    this.counters.rejectedInput++
    this.badInputLog.warn(detail, `${what}: dropped`)
  }

  private onPubSub (redisChannel: string, message: unknown): void {
    const state = this.byEnvelope.get(redisChannel)
    if (state !== undefined) {
      const newline = typeof message === 'string' ? message.indexOf('\n') : -1
      const id = newline < 0 ? '' : (message as string).slice(0, newline)
      if (!isValidId(id)) {
        // Only our publish script writes here; anything else is forged or corrupt.
        this.reject('malformed live envelope from Redis', { channel: state.channel, head: String(message).slice(0, 60) })
        return
      }
      const envelope: BrokerMessage = { id, payload: (message as string).slice(newline + 1) }
      if (state.held !== null) {
        // Waiting for a retried recovery: whatever arrives now is stored and will be read from
        // the stream by the retry, so there is no need to keep an unbounded pile of it.
        if (state.recoverFrom === null || state.held.length < MAX_HELD_WHILE_RECOVERING) state.held.push(envelope)
      } else state.accept(envelope)
      return
    }
    const rawState = this.byRaw.get(redisChannel)
    if (rawState === undefined || typeof message !== 'string') return
    if (this.options.acceptsPlainPublish?.(rawState.channel) === false) {
      this.reject('plain PUBLISH on a channel only the app writes', { channel: rawState.channel, head: message.slice(0, 60) })
      return
    }
    this.ingestRaw(rawState.channel, message)
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

  /** After a reconnect: subscribe everything again, then deliver what was missed meanwhile. */
  private async resubscribeAll (): Promise<void> {
    const states = [...this.channels.values()]
    if (this.closed || states.length === 0) return
    let recovered = false
    for (const state of states) {
      state.held ??= []
      state.recoverFrom ??= state.lastDelivered ?? state.baseline
    }
    try {
      await this.topology.subscribe(this.subscriber, states.map((s) => s.keys.envelope), states.map((s) => s.keys.raw))
      // From here on new envelopes are held; everything older is in the streams.
      for (const state of states) {
        const from = state.recoverFrom
        if (from === null) continue
        let history = await this.store.readAfter(state.channel, from)
        // An id we delivered is gone and nothing follows it, or Redis says it was lost: a stream
        // that was there is not any more (MAXLEN ~ never trims a stream down to nothing).
        if (history.gap === 'lost' || (!history.complete && history.gap === undefined && history.messages.length === 0)) {
          // Redis came back without this channel's stream. What this process delivered before is
          // not lost; only messages stored in the last moments before the loss that never reached
          // us could be. Record where we were, so clients that were there too get no reset.
          this.counters.historyLosses++
          const epoch = await this.store.noteLoss(state.channel, from)
          history = await this.store.readAfter(state.channel, from)
          this.options.logger.warn({ channel: state.channel, deliveredUpTo: from, epoch, since: history.messages.length },
            'Redis lost the live history of this channel (restarted without persistence, flushed, or failed over to an empty replica); ' +
            'this process had delivered everything up to deliveredUpTo, messages published since are delivered; clients that were further behind get a "lost" reset')
        } else if (!history.complete) {
          this.options.logger.warn({ channel: state.channel, from, gap: history.gap ?? 'unknown' }, 'live history was trimmed during the Redis outage: some messages were not delivered live')
        }
        for (const message of history.messages) state.deliver(message)
        state.recoverFrom = null
      }
      recovered = true
      this.counters.resubscriptions++
      this.options.logger.info({ channels: states.length }, 'Redis subscriber reconnected; channels re-subscribed')
    } catch (error) {
      this.options.logger.error({ err: error }, 'Re-subscribing after a Redis reconnect failed; retried shortly')
      // The recovery read must not be skipped: it delivers what other processes published during
      // the outage and notices a lost history. A subscriber that is down again retries on its
      // next "ready"; one that is up (the command connection was not ready yet, a cluster slot had
      // no master yet) tries again shortly.
      if (this.topology.sharded || this.subscriber.status === 'ready') setTimeout(() => this.queueResubscribe(), RESUBSCRIBE_RETRY_MS).unref()
    } finally {
      for (const state of states) {
        if (!recovered && state.recoverFrom !== null) {
          // Keep holding until a retry recovers: letting envelopes through now would move
          // lastDelivered past what was published during the outage, and the retry (reading
          // from recoverFrom) would then skip it. What was held is in the stream: the retry reads it.
          state.held = []
          continue
        }
        const held = state.held ?? []
        state.held = null
        for (const message of held) state.accept(message)
      }
    }
  }

  readAfter (channel: string, lastId: string): Promise<HistoryRead> {
    assertChannelName(channel)
    return this.store.readAfter(channel, lastId)
  }

  readLatest (channel: string, lastId: string): Promise<HistoryRead> {
    assertChannelName(channel)
    return this.store.readLatest(channel, lastId)
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
    return { ...this.counters, rejectedInput: this.counters.rejectedInput + this.store.rejectedEntries, channels: this.channels.size, handlers, publishSeconds: this.publishTime.snapshot() }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Stop receiving first, then let raw messages already received finish storing, and only
    // then quit: a message published during shutdown is stored, not lost with this process.
    await withTimeout(this.subscriber.unsubscribe(), CLOSE_STEP_MS, 'Redis UNSUBSCRIBE').catch(() => {})
    await withTimeout(Promise.allSettled([...this.pendingIngests]), CLOSE_STEP_MS, 'storing received messages').catch(() => {})
    for (const state of [...this.channels.values()]) this.forget(state)
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.command)])
  }
}
