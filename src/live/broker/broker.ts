// The broker contract shared by the in-process and the Redis implementation.
// A broker stores every message in a bounded per-channel history (so a reconnecting browser
// can replay what it missed) and delivers it to this process's subscribers, in id order.
import type { LatencySnapshot } from '../../util/latency-histogram.js'
import { PayloadTooLargeError } from '../../errors.js'
export { compareIds, isValidId, ORIGIN_ID } from './ids.js'

/** Larger payloads are refused before they are stored (a live message is a small fragment). */
export const MAX_PAYLOAD_BYTES = 64 * 1024

/** Channel names: what Redis and SSE routes can carry without escaping. */
const CHANNEL_NAME = /^[A-Za-z0-9_.-][A-Za-z0-9:_.-]{0,199}$/

export interface BrokerMessage {
  /** History id, "<ms>-<seq>"; ids of one channel grow in delivery order. */
  readonly id: string
  readonly payload: string
}

export type MessageHandler = (message: BrokerMessage) => void

export type Unsubscribe = () => Promise<void>

export interface HistoryRead {
  /** Retained messages newer than the id asked for, oldest first. */
  readonly messages: BrokerMessage[]
  /**
   * True when `messages` is provably everything published after that id: the id itself is
   * still in the retained history (for ORIGIN_ID "0-0": nothing was ever trimmed). False when it is older than the retained history, or
   * unknown (another history epoch: the in-process broker restarted, the Redis key was lost).
   */
  readonly complete: boolean
  /**
   * When not complete, why (Redis only): "trimmed" = the id fell out of the bounded history;
   * "lost" = Redis lost the history after that id (restart without persistence, FLUSHALL,
   * failover to an empty replica), so messages published after it may be gone. Absent: unknown.
   */
  readonly gap?: 'trimmed' | 'lost'
}

export interface BrokerStats {
  readonly kind: 'memory' | 'redis'
  /** Messages stored through publish(). */
  published: number
  /** Payloads refused for being over MAX_PAYLOAD_BYTES (publish and raw PUBLISH). */
  rejectedTooLarge: number
  /** Raw PUBLISH messages this process stored (Redis only). */
  rawIngested: number
  /** Raw PUBLISH messages another process had already stored (Redis only). */
  rawDuplicates: number
  /** Channels with at least one local subscriber. */
  channels: number
  /** Local subscriber callbacks, all channels together. */
  handlers: number
  /** Times the Redis subscriber connection came back and re-subscribed (Redis only). */
  resubscriptions: number
  /** Malformed envelopes and stream entries from Redis that were dropped (Redis only). */
  rejectedInput: number
  /** Envelopes whose id was ahead of the clock and not in the stream: forged, dropped (Redis only). */
  forgedIds: number
  /** Times this process found a channel's Redis history lost (Redis only). */
  historyLosses: number
  /** publish() round trips: from the call until the broker confirmed the message stored. */
  publishSeconds: LatencySnapshot
}

/** The plain counters of BrokerStats, kept by each broker. */
export type BrokerCounters = Omit<BrokerStats, 'publishSeconds'>

export interface Broker {
  readonly kind: 'memory' | 'redis'
  /** Stores the payload in the channel's history and delivers it; resolves with its id. */
  publish (channel: string, payload: string): Promise<string>
  /**
   * Calls handler for every message of the channel delivered after the returned promise
   * resolves, in id order, each once. Resolves with the function that ends the subscription.
   */
  subscribe (channel: string, handler: MessageHandler): Promise<Unsubscribe>
  /** Retained history after lastId (which must satisfy isValidId). */
  readAfter (channel: string, lastId: string): Promise<HistoryRead>
  /**
   * For channels whose newest message stands for their whole state (each one replaces the
   * last): the newest retained message when it is after lastId (messages: at most that one).
   * Complete also when lastId was trimmed away, as long as it belongs to the current history
   * (same epoch) or is ORIGIN_ID: the newest message is all a client at lastId needs. Otherwise
   * (unknown id, lost history) complete and gap are those of readAfter.
   */
  readLatest (channel: string, lastId: string): Promise<HistoryRead>
  /** Id of the newest retained message, or null when the history is empty. */
  lastId (channel: string): Promise<string | null>
  compareIds (a: string, b: string): number
  stats (): BrokerStats
  /** Ends subscriptions and connections. Idempotent. */
  close (): Promise<void>
}

/** Minimal logger shape (Fastify's and pino's loggers fit). */
export interface LiveLogger {
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

export { PayloadTooLargeError }

export function assertChannelName (channel: string): void {
  if (typeof channel !== 'string' || !CHANNEL_NAME.test(channel) || channel.startsWith('live:')) {
    // "live:" is where the Redis broker keeps its own keys and channels.
    throw new TypeError(`Invalid live channel name ${JSON.stringify(channel)}: use 1-200 letters, digits and : _ . - (not starting with ":" or "live:")`)
  }
}

export function payloadBytes (payload: string): number {
  return Buffer.byteLength(payload, 'utf8')
}

export function emptyStats (kind: 'memory' | 'redis'): BrokerCounters {
  return { kind, published: 0, rejectedTooLarge: 0, rawIngested: 0, rawDuplicates: 0, channels: 0, handlers: 0, resubscriptions: 0, rejectedInput: 0, forgedIds: 0, historyLosses: 0 }
}
