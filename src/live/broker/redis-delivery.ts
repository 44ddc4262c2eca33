// One subscribed channel of the Redis broker and its delivery to local handlers: each message
// once, in id order, an envelope whose id is implausibly new checked against the stream first.
// The broker (redis-broker.ts) owns the connections, subscriptions and the recovery after a
// reconnect; this is what it keeps per channel.
import type { BrokerCounters, BrokerMessage, LiveLogger, MessageHandler } from './broker.js'
import { compareIds, idMilliseconds } from './ids.js'
import type { ChannelKeys, RedisChannelStore } from './redis-store.js'

/**
 * An envelope id more than this far ahead of Redis's clock (ours plus the measured offset) is checked against the stream before it
 * is delivered: a forged far-future id would otherwise make every later real id look old and
 * stall delivery. Redis writes ids from its own clock, normally at or behind ours.
 */
export const MAX_ID_LEAD_MS = 1000

/** What delivery needs of the broker. */
export interface DeliveryContext {
  readonly store: RedisChannelStore
  readonly counters: BrokerCounters
  readonly logger: LiveLogger
  /** Counts and logs (rate-limited) a message dropped as bad input. */
  reject (what: string, detail: Record<string, unknown>): void
}

export class ChannelState {
  readonly handlers = new Set<MessageHandler>()
  ready: Promise<void> = Promise.resolve()
  /** Newest id handed to handlers: later duplicates or older ids are skipped. */
  lastDelivered: string | null = null
  /** Newest stored id when the subscription started: where recovery starts if nothing came. */
  baseline: string | null = null
  /** While re-subscribing after a reconnect, live envelopes wait here. */
  held: BrokerMessage[] | null = null
  /**
   * Where an unfinished recovery must start again: the position before the outage. Envelopes
   * let through after a failed recovery move lastDelivered into the new history, from where a
   * retry could neither read what was missed nor notice that Redis lost the old history.
   */
  recoverFrom: string | null = null
  /** While an envelope's id is being checked against the stream, later envelopes wait here. */
  private checking: BrokerMessage[] | null = null

  constructor (readonly channel: string, readonly keys: ChannelKeys, private readonly context: DeliveryContext) {}

  /** Delivers an envelope, after checking it against the stream when its id is implausibly new. */
  accept (message: BrokerMessage): void {
    if (this.checking !== null) {
      this.checking.push(message)
      return
    }
    if (this.plausiblyNew(message.id)) {
      this.deliver(message)
      return
    }
    this.checking = [message]
    this.drainChecks().catch((error: unknown) => this.context.reject('checking live envelopes failed', { channel: this.channel, err: error }))
  }

  /** Hands a message to every handler unless an equal or newer id was delivered already. */
  deliver (message: BrokerMessage): void {
    if (this.lastDelivered !== null && compareIds(message.id, this.lastDelivered) <= 0) return
    this.lastDelivered = message.id
    for (const handler of this.handlers) {
      try {
        handler(message)
      } catch (error) {
        this.context.logger.error({ err: error, channel: this.channel }, 'live subscriber threw; message delivered to the others')
      }
    }
  }

  /** Redis writes ids from its clock: an id more than MAX_ID_LEAD_MS ahead of it is suspect. */
  private plausiblyNew (id: string): boolean {
    return idMilliseconds(id) <= Date.now() + this.context.store.clockOffsetMs + MAX_ID_LEAD_MS
  }

  private async drainChecks (): Promise<void> {
    try {
      for (let message = this.checking?.shift(); message !== undefined; message = this.checking?.shift()) {
        if (this.plausiblyNew(message.id)) {
          this.deliver(message)
          continue
        }
        // A failed check drops the envelope without moving lastDelivered: if it was real, the
        // recovery after the next reconnect reads it from the stream.
        const stored = await this.context.store.hasEntry(this.channel, message.id).catch(() => false)
        if (stored) {
          this.deliver(message)
        } else {
          this.context.counters.forgedIds++
          this.context.reject('live envelope with an id ahead of the clock that is not in the stream (forged)', { channel: this.channel, id: message.id })
        }
      }
    } finally {
      const rest = this.checking ?? []
      this.checking = null
      for (const message of rest) this.accept(message)
    }
  }
}
