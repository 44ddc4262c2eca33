// Presence: how many browser sessions have a page or a resource (a "topic") open, live.
// Open page streams are the heartbeat: a stream carrying a presence topic enters its session
// there, and leaves when the stream closes; no extra client traffic. Sessions, not tabs: this
// process counts its streams per (topic, session) and tells the store only about the first
// one and the last one. The store is shared (Redis, across instances) or in-process; whenever
// a topic's count may have changed, onChange(topic) is called, coalesced per topic, so the
// caller can re-render what shows it once per burst rather than once per stream.
import { createHash } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { LimitedLogger } from '../util/log-limiter.js'
import { LogLimiter } from '../util/log-limiter.js'
import { withTimeout } from '../util/timeout.js'

/**
 * Longest wait for a count while a page renders (as for a live element's last id): presence is
 * a nicety, and a store that hangs must not hold the page for the whole Redis command timeout.
 */
export const COUNT_WAIT_MS = 500

/** Longest wait for the last leaves at shutdown: a store that is away must not hold it up. */
export const CLOSE_WAIT_MS = 2000

/** Live channels of presence topics are "presence:<topic>" (a channel family, one per topic). */
export const PRESENCE_FAMILY = 'presence'

/** A topic: the key of a presence channel, e.g. "contacts" or "contact-42". */
export const PRESENCE_TOPIC_PATTERN = '^[A-Za-z0-9_-]{1,64}$'
export const PRESENCE_TOPIC = new RegExp(PRESENCE_TOPIC_PATTERN)

export function isPresenceTopic (topic: unknown): topic is string {
  return typeof topic === 'string' && PRESENCE_TOPIC.test(topic)
}

/** What is published on a topic's channel when its count changed: {"topic": "<topic>"}. */
export const PRESENCE_CHANGE = Type.Object({ topic: Type.String({ pattern: PRESENCE_TOPIC_PATTERN }) }, { additionalProperties: false })

/** The channel of a topic's updates. */
export function presenceChannel (topic: string): string {
  return `${PRESENCE_FAMILY}:${topic}`
}

/** The topic of a presence channel or tag, or undefined. */
export function presenceTopicOf (channel: string): string | undefined {
  const topic = channel.startsWith(`${PRESENCE_FAMILY}:`) ? channel.slice(PRESENCE_FAMILY.length + 1) : undefined
  return isPresenceTopic(topic) ? topic : undefined
}

/**
 * The member kept for a session: a hash, so the store never holds session ids (a leaked
 * presence key gives nobody a session).
 */
export function presenceMember (session: string): string {
  return createHash('sha256').update(`flc:presence\n${session}`).digest('base64url').slice(0, 22)
}

/** Where presence is kept: one process (MemoryPresenceStore) or Redis (RedisPresenceStore). */
export interface PresenceStore {
  readonly kind: 'memory' | 'redis'
  /** The member is now present on the topic; true when the topic's count changed. */
  add (topic: string, member: string): Promise<boolean>
  /** This process no longer holds the member there; true when the topic's count changed. */
  remove (topic: string, member: string): Promise<boolean>
  /** Distinct members present, and whether `member` is one of them. */
  count (topic: string, member?: string): Promise<{ count: number, present: boolean }>
  /**
   * Re-asserts what this process holds (the heartbeat) and drops what nobody renewed in time
   * (an instance that died). Answers the topics whose count changed.
   */
  refresh (held: ReadonlyMap<string, ReadonlySet<string>>): Promise<string[]>
  close (): Promise<void>
}

/** The in-process store: this process is the only one, so nothing needs to expire. */
export class MemoryPresenceStore implements PresenceStore {
  readonly kind = 'memory' as const
  private readonly topics = new Map<string, Set<string>>()

  async add (topic: string, member: string): Promise<boolean> {
    let members = this.topics.get(topic)
    if (members === undefined) this.topics.set(topic, members = new Set())
    const before = members.size
    members.add(member)
    return members.size !== before
  }

  async remove (topic: string, member: string): Promise<boolean> {
    const members = this.topics.get(topic)
    if (members === undefined || !members.delete(member)) return false
    // Nothing kept for a topic nobody has open.
    if (members.size === 0) this.topics.delete(topic)
    return true
  }

  async count (topic: string, member?: string): Promise<{ count: number, present: boolean }> {
    const members = this.topics.get(topic)
    return { count: members?.size ?? 0, present: member !== undefined && members?.has(member) === true }
  }

  async refresh (): Promise<string[]> {
    return []
  }

  /** Topics with someone present (tests: nothing is left behind). */
  get size (): number {
    return this.topics.size
  }

  async close (): Promise<void> {
    this.topics.clear()
  }
}

export interface PresenceOptions {
  store: PresenceStore
  /** A topic's count may have changed (coalesced): re-render what shows it (a promise: close() awaits it). */
  onChange: (topic: string) => void | Promise<unknown>
  logger: LimitedLogger
  /** PRESENCE_TTL_MS: the store forgets what is not renewed for this long; renewed every third of it. */
  ttlMs: number
  /** Changes of one topic inside this window go out as one (leading edge + one trailing). */
  coalesceMs?: number
}

export interface PresenceStats {
  /** Open streams counted (a stream on two topics counts two). */
  streams: number
  /** Distinct (topic, member) pairs this process holds. */
  held: number
  /** onChange calls made (after coalescing). */
  updates: number
  /** Store operations that failed (the next refresh re-asserts). */
  errors: number
  /** Topics inside a coalescing window (0: every change so far has gone out). */
  windows: number
}

interface Window {
  timer: NodeJS.Timeout
  trailing: boolean
}

export class Presence {
  /** topic → member → this process's streams holding it. */
  private readonly held = new Map<string, Map<string, number>>()
  private readonly windows = new Map<string, Window>()
  private readonly pending = new Set<Promise<unknown>>()
  private readonly errorLog: LogLimiter
  private readonly coalesceMs: number
  private refreshTimer: NodeJS.Timeout | null = null
  private refreshing: Promise<void> | null = null
  private closed = false
  private closing = false
  private readonly counters = { streams: 0, updates: 0, errors: 0 }

  constructor (private readonly options: PresenceOptions) {
    this.coalesceMs = options.coalesceMs ?? 100
    this.errorLog = new LogLimiter(options.logger, 'presence store errors')
  }

  get store (): PresenceStore {
    return this.options.store
  }

  /** Starts the heartbeat: every ttlMs / 3, what this process holds is renewed. */
  start (): void {
    if (this.refreshTimer !== null || this.closed) return
    // refresh() never rejects: failures are counted and logged there.
    this.refreshTimer = setInterval(() => { this.refresh().catch(() => {}) }, Math.max(100, Math.floor(this.options.ttlMs / 3)))
    this.refreshTimer.unref()
  }

  /**
   * A stream of `member` (a session) opened on these topics. Answers the function to call when
   * it closes (idempotent).
   */
  enter (topics: readonly string[], member: string): () => void {
    const entered = [...new Set(topics)].filter(isPresenceTopic)
    if (this.closing || entered.length === 0) return () => {}
    for (const topic of entered) {
      let members = this.held.get(topic)
      if (members === undefined) this.held.set(topic, members = new Map())
      const refs = members.get(member) ?? 0
      members.set(member, refs + 1)
      this.counters.streams++
      if (refs === 0) this.track(topic, this.options.store.add(topic, member))
    }
    let left = false
    return () => {
      if (left) return
      left = true
      for (const topic of entered) this.leave(topic, member)
    }
  }

  /**
   * The topic's count. With a viewer (a page being rendered for that session; null: one
   * without a session), counting them as present: their stream opens once the page is shown.
   */
  async count (topic: string, viewer?: string | null): Promise<number> {
    const member = viewer === undefined || viewer === null ? undefined : presenceMember(viewer)
    const { count, present } = await this.options.store.count(topic, member)
    return viewer !== undefined && !present ? count + 1 : count
  }

  /** count() for a page being rendered: rejects (TimeoutError) after COUNT_WAIT_MS. */
  async countForPage (topic: string, viewer: string | null | undefined): Promise<number> {
    return await withTimeout(this.count(topic, viewer), COUNT_WAIT_MS, 'the presence store')
  }

  /** Renews what this process holds and drops what expired (also run by the timer). */
  async refresh (): Promise<void> {
    if (this.refreshing !== null) return await this.refreshing
    if (this.closing) return
    const snapshot = new Map<string, Set<string>>()
    for (const [topic, members] of this.held) snapshot.set(topic, new Set(members.keys()))
    this.refreshing = this.options.store.refresh(snapshot).then((changed) => {
      for (const topic of changed) this.changed(topic)
    }, (error: unknown) => {
      this.counters.errors++
      this.errorLog.warn({ err: error }, 'renewing presence failed; retrying at the next heartbeat')
    }).finally(() => { this.refreshing = null })
    await this.refreshing
  }

  stats (): PresenceStats {
    let held = 0
    for (const members of this.held.values()) held += members.size
    return { ...this.counters, held, windows: this.windows.size }
  }

  /** Stops the heartbeat; what this process still holds leaves (a graceful stop is seen at once). */
  async close (): Promise<void> {
    if (this.closed || this.closing) return
    this.closing = true
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer)
    for (const [topic, members] of this.held) {
      for (const member of members.keys()) this.track(topic, this.options.store.remove(topic, member))
    }
    this.held.clear()
    // Their updates still go out (the broker closes after this): other instances see them leave.
    // Updates held in a coalescing window go out now rather than at its end.
    await withTimeout(Promise.allSettled([...this.pending, this.refreshing]), CLOSE_WAIT_MS, 'the presence store').catch(() => {})
    this.closed = true
    for (const [topic, window] of this.windows) {
      clearTimeout(window.timer)
      if (window.trailing) this.emit(topic)
    }
    this.windows.clear()
    await withTimeout(Promise.allSettled([...this.pending]), CLOSE_WAIT_MS, 'the presence updates').catch(() => {})
    await this.options.store.close()
  }

  private leave (topic: string, member: string): void {
    const members = this.held.get(topic)
    const refs = members?.get(member)
    if (members === undefined || refs === undefined) return
    this.counters.streams--
    if (refs > 1) {
      members.set(member, refs - 1)
      return
    }
    members.delete(member)
    if (members.size === 0) this.held.delete(topic)
    this.track(topic, this.options.store.remove(topic, member))
  }

  private track (topic: string, operation: Promise<boolean>): void {
    const done = operation.then((changed) => {
      if (changed) this.changed(topic)
    }, (error: unknown) => {
      this.counters.errors++
      this.errorLog.warn({ err: error, topic }, 'updating presence failed; the next heartbeat sets it right')
    })
    this.pending.add(done)
    done.finally(() => this.pending.delete(done)).catch(() => {})
  }

  /** Leading edge: the first change of a quiet topic goes out at once, the rest of its window as one. */
  private changed (topic: string): void {
    if (this.closed) return
    const window = this.windows.get(topic)
    if (window !== undefined) {
      window.trailing = true
      return
    }
    this.emit(topic)
    this.openWindow(topic)
  }

  private openWindow (topic: string): void {
    const window: Window = {
      trailing: false,
      timer: setTimeout(() => {
        this.windows.delete(topic)
        if (window.trailing && !this.closed) {
          this.emit(topic)
          this.openWindow(topic)
        }
      }, this.coalesceMs)
    }
    window.timer.unref()
    this.windows.set(topic, window)
  }

  private emit (topic: string): void {
    this.counters.updates++
    try {
      const sent = this.options.onChange(topic)
      // A send in flight is awaited by close(): the last leaves reach the other instances.
      if (sent instanceof Promise) {
        const done = sent.catch((error: unknown) => {
          this.options.logger.warn({ err: error, topic }, 'a presence update could not be sent')
        })
        this.pending.add(done)
        done.finally(() => this.pending.delete(done)).catch(() => {})
      }
    } catch (error) {
      this.options.logger.warn({ err: error, topic }, 'a presence update could not be sent')
    }
  }
}
