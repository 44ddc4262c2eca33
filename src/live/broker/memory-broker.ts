// In-process broker (used when REDIS_URL is unset): one process, history in a bounded ring
// buffer per channel, delivery by direct calls. Ids come from the clock, so after a restart a
// browser's old Last-Event-ID is simply unknown (readAfter reports complete=false), never
// mistaken for a recent one.
import {
  assertChannelName, emptyStats, MAX_PAYLOAD_BYTES, payloadBytes, PayloadTooLargeError,
  type Broker, type BrokerMessage, type BrokerStats, type HistoryRead, type LiveLogger, type MessageHandler, type Unsubscribe
} from './broker.js'
import { compareIds, IdGenerator, ORIGIN_ID } from './ids.js'
import { LatencyHistogram } from '../../util/latency-histogram.js'

export interface MemoryBrokerOptions {
  /** Messages kept per channel (LIVE_HISTORY_SIZE). */
  historySize: number
  /** CHANNEL_PREFIX; kept for symmetry with Redis so channel identities match. */
  prefix?: string
  /**
   * A channel nobody subscribes to is forgotten (its history dropped) after this long without
   * a message or a subscriber (default 10 minutes): channels of browser sessions that left (the
   * private feeds) do not pile up in memory.
   */
  idleHistoryMs?: number
  now?: () => number
  logger: LiveLogger
}

const DEFAULT_IDLE_HISTORY_MS = 10 * 60_000

/** Fixed-capacity FIFO: pushing into a full ring overwrites the oldest entry. */
class Ring {
  private readonly items: BrokerMessage[] = []
  private start = 0
  /** Whether a message was ever overwritten (history no longer starts at the beginning). */
  trimmed = false
  /** Id of the first message this broker stored here: older ids come from another process. */
  firstId: string | null = null
  /** Last publish, or last subscriber leaving (ms). */
  lastActive = 0

  constructor (private readonly capacity: number) {}

  get length (): number { return this.items.length }

  at (index: number): BrokerMessage {
    return this.items[(this.start + index) % this.capacity]!
  }

  push (message: BrokerMessage): void {
    this.firstId ??= message.id
    if (this.items.length < this.capacity) {
      this.items.push(message)
    } else {
      this.items[this.start] = message
      this.trimmed = true
      this.start = (this.start + 1) % this.capacity
    }
  }

  /** Index of the first entry with an id greater than or equal to id (binary search). */
  lowerBound (id: string): number {
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareIds(this.at(mid).id, id) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const
  private readonly histories = new Map<string, Ring>()
  private readonly handlers = new Map<string, Set<MessageHandler>>()
  private readonly ids = new IdGenerator()
  private readonly counters = emptyStats('memory')
  private readonly publishTime = new LatencyHistogram()
  private closed = false
  private readonly idleHistoryMs: number
  private readonly now: () => number
  private lastSweep = 0

  constructor (private readonly options: MemoryBrokerOptions) {
    if (!Number.isInteger(options.historySize) || options.historySize < 1) {
      throw new TypeError('MemoryBroker: historySize must be an integer >= 1 (LIVE_HISTORY_SIZE)')
    }
    this.idleHistoryMs = options.idleHistoryMs ?? DEFAULT_IDLE_HISTORY_MS
    this.now = options.now ?? Date.now
  }

  /** Drops the histories of channels without subscribers idle for idleHistoryMs (at most once a minute). */
  private sweep (now: number): void {
    if (now - this.lastSweep < Math.min(60_000, this.idleHistoryMs)) return
    this.lastSweep = now
    for (const [key, ring] of this.histories) {
      if (!this.handlers.has(key) && now - ring.lastActive >= this.idleHistoryMs) this.histories.delete(key)
    }
  }

  /** Channels whose history is kept (for stats and tests). */
  get historyCount (): number {
    return this.histories.size
  }

  private key (channel: string): string {
    assertChannelName(channel)
    return (this.options.prefix ?? '') + channel
  }

  async publish (channel: string, payload: string): Promise<string> {
    const key = this.key(channel)
    if (this.closed) throw new Error('MemoryBroker: publish after close')
    const bytes = payloadBytes(payload)
    if (bytes > MAX_PAYLOAD_BYTES) {
      this.counters.rejectedTooLarge++
      throw new PayloadTooLargeError(channel, bytes, MAX_PAYLOAD_BYTES)
    }
    let ring = this.histories.get(key)
    if (ring === undefined) {
      ring = new Ring(this.options.historySize)
      this.histories.set(key, ring)
    }
    const started = performance.now()
    const message: BrokerMessage = { id: this.ids.next(), payload }
    ring.push(message)
    const now = this.now()
    ring.lastActive = now
    this.sweep(now)
    this.publishTime.since(started)
    this.counters.published++
    // Delivered synchronously, in publish order: ids and delivery order are the same order.
    for (const handler of this.handlers.get(key) ?? []) {
      try {
        handler(message)
      } catch (error) {
        this.options.logger.error({ err: error, channel }, 'live subscriber threw; message delivered to the others')
      }
    }
    return message.id
  }

  async subscribe (channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    const key = this.key(channel)
    if (this.closed) throw new Error('MemoryBroker: subscribe after close')
    let set = this.handlers.get(key)
    if (set === undefined) {
      set = new Set()
      this.handlers.set(key, set)
    }
    // Wrapped so the same function subscribed twice yields two independent subscriptions.
    const entry: MessageHandler = (message) => handler(message)
    set.add(entry)
    return async () => {
      const current = this.handlers.get(key)
      if (current === undefined) return
      current.delete(entry)
      if (current.size > 0) return
      this.handlers.delete(key)
      const ring = this.histories.get(key)
      if (ring !== undefined) ring.lastActive = this.now()
    }
  }

  async readAfter (channel: string, lastId: string): Promise<HistoryRead> {
    const ring = this.histories.get(this.key(channel))
    if (lastId === ORIGIN_ID) {
      const messages: BrokerMessage[] = []
      for (let i = 0; i < (ring?.length ?? 0); i++) messages.push(ring!.at(i))
      return { messages, complete: ring === undefined || !ring.trimmed }
    }
    if (ring === undefined) return { messages: [], complete: false }
    const from = ring.lowerBound(lastId)
    const found = from < ring.length && ring.at(from).id === lastId
    const messages: BrokerMessage[] = []
    for (let i = found ? from + 1 : from; i < ring.length; i++) messages.push(ring.at(i))
    return { messages, complete: found }
  }

  async readLatest (channel: string, lastId: string): Promise<HistoryRead> {
    const ring = this.histories.get(this.key(channel))
    const newest = ring === undefined || ring.length === 0 ? undefined : ring.at(ring.length - 1)
    if (newest !== undefined) {
      const order = compareIds(newest.id, lastId)
      if (order === 0) return { messages: [], complete: true }
      // Trimmed is no loss here: an id of this broker's (not older than its first) needs only the newest.
      if (order > 0 && (lastId === ORIGIN_ID || compareIds(lastId, ring!.firstId!) >= 0)) return { messages: [newest], complete: true }
    }
    const read = await this.readAfter(channel, lastId)
    return { ...read, messages: read.messages.slice(-1) }
  }

  async lastId (channel: string): Promise<string | null> {
    const ring = this.histories.get(this.key(channel))
    return ring === undefined || ring.length === 0 ? null : ring.at(ring.length - 1).id
  }

  compareIds (a: string, b: string): number {
    return compareIds(a, b)
  }

  stats (): BrokerStats {
    let handlers = 0
    for (const set of this.handlers.values()) handlers += set.size
    return { ...this.counters, channels: this.handlers.size, handlers, publishSeconds: this.publishTime.snapshot() }
  }

  async close (): Promise<void> {
    this.closed = true
    this.handlers.clear()
  }
}
