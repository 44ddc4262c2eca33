// The reading side of outside announcements (see announcements.ts for the stream and why it is
// read this way): one consumer per instance in a shared group, bounded reads in a Redis script,
// acknowledgement after announce(), take-over of entries a dead instance left unacknowledged.
import type { Change } from '../live-source.js'
import type { LiveLogger } from '../broker/broker.js'
import { parseChange } from './broadcasts.js'
import { isValidId } from '../broker/ids.js'
import { ANNOUNCEMENT_FIELD, ANNOUNCEMENT_MAX_BYTES, ANNOUNCEMENTS_GROUP, ANNOUNCEMENTS_MAXLEN, announcementsKey } from './announcements.js'
import { closeRedis } from '../broker/redis-connection.js'
import { redisTopology, type RedisClient, type RedisTarget } from '../broker/redis-topology.js'
import { LogLimiter } from '../../util/log-limiter.js'
import { withTimeout } from '../../util/timeout.js'
import { createHash } from 'node:crypto'

/**
 * Reads a batch (XREADGROUP from an id, or XAUTOCLAIM from a cursor) and removes the entries over
 * the size bound before anything is returned. KEYS[1]: the stream. ARGV: max bytes, group,
 * consumer, count, mode ("read" | "claim"), start id or cursor, min idle ms (claim).
 * Returns [next cursor ("" for read), kept entries, [[id, bytes], …] of the dropped ones].
 */
const READ_SCRIPT = `
local maxBytes = tonumber(ARGV[1])
local entries, cursor = {}, ''
if ARGV[5] == 'claim' then
  local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[2], ARGV[3], ARGV[7], ARGV[6], 'COUNT', ARGV[4])
  cursor = reply[1]
  entries = reply[2]
else
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], ARGV[6])
  if reply then entries = reply[1][2] end
end
local kept, oversized = {}, {}
for _, entry in ipairs(entries) do
  local size = 0
  if type(entry[2]) == 'table' then
    for _, part in ipairs(entry[2]) do size = size + string.len(part) end
  end
  if size > maxBytes then
    redis.call('XACK', KEYS[1], ARGV[2], entry[1])
    redis.call('XDEL', KEYS[1], entry[1])
    oversized[#oversized + 1] = { entry[1], size }
  else
    kept[#kept + 1] = entry
  end
end
return { cursor, kept, oversized }
`
const READ_SCRIPT_SHA = createHash('sha1').update(READ_SCRIPT).digest('hex')

/** Bound of each shutdown step, so a dead Redis cannot hold the process up. */
const CLOSE_STEP_MS = 2000
/** Longest pause between two attempts while Redis is unreachable. */
const MAX_RETRY_MS = 5000

/** Deliveries of an entry never acknowledged before it is given up (it cannot be read). */
const MAX_DELIVERIES = 5

export interface AnnouncementStats {
  /** Entries read by this instance (taken-over ones included). */
  received: number
  /** Entries handed to broadcasts.announce(). */
  announced: number
  /** Entries dropped as malformed (no "change" field, not JSON, bad tags, kind or id). */
  rejected: number
  /** Entries over ANNOUNCEMENT_MAX_BYTES, acknowledged and deleted in Redis without being read (also counted in rejected). */
  oversized: number
  /** Entries taken over from a consumer that had not acknowledged them within claimIdleMs. */
  claimed: number
  /** Redis commands of the reader that failed (Redis down, failover); it retries. */
  errors: number
  /** Times this instance created the consumer group (first start, or Redis had lost it). */
  groupsCreated: number
}

export interface AnnouncementReaderOptions {
  prefix: string
  /** This instance's consumer name in the group: unique per process (the broker's connection name). */
  consumer: string
  /** Hands a checked change to broadcasts. Must not throw (broadcasts.announce never does). */
  announce: (tags: string[], change: Omit<Change, 'tags'>) => void
  logger: LiveLogger
  /** Pause after a read that found nothing new: the longest an outside announcement waits to be read. */
  pollMs?: number
  /** Largest entry read; larger ones are dropped in Redis (ANNOUNCEMENT_MAX_BYTES). */
  maxEntryBytes?: number
  /** Entries per read. */
  batchSize?: number
  /** An entry read but not acknowledged for this long belonged to a dead instance: another takes it over. */
  claimIdleMs?: number
  /** A consumer with nothing pending and idle this long is removed from the group (a process that is gone). */
  staleConsumerMs?: number
  /** Longest wait for one non-blocking command. */
  commandTimeoutMs?: number
}

export interface OpenAnnouncementReaderOptions extends AnnouncementReaderOptions, RedisTarget {
  /** CLIENT SETNAME of the reader's connection. */
  connectionName: string
}

type Entry = [id: string, fields: unknown]

export class AnnouncementReader {
  private readonly key: string
  private readonly pollMs: number
  private readonly maxEntryBytes: number
  private readonly batchSize: number
  private readonly claimIdleMs: number
  private readonly staleConsumerMs: number
  private readonly counters: AnnouncementStats = { received: 0, announced: 0, rejected: 0, oversized: 0, claimed: 0, errors: 0, groupsCreated: 0 }
  private readonly badInputLog: LogLimiter
  private readonly errorLog: LogLimiter
  private running: Promise<void> | null = null
  private closed = false
  private groupReady = false
  /** After a failed read: read what this consumer was handed but did not acknowledge first. */
  private ownPendingFirst = false
  private wake: (() => void) | null = null

  constructor (private readonly redis: RedisClient, private readonly options: AnnouncementReaderOptions) {
    this.key = announcementsKey(options.prefix)
    this.pollMs = Math.max(10, options.pollMs ?? 50)
    this.maxEntryBytes = options.maxEntryBytes ?? ANNOUNCEMENT_MAX_BYTES
    this.batchSize = options.batchSize ?? 100
    this.claimIdleMs = options.claimIdleMs ?? 30_000
    this.staleConsumerMs = options.staleConsumerMs ?? 10 * 60_000
    this.badInputLog = new LogLimiter(options.logger, 'rejected announcements')
    this.errorLog = new LogLimiter(options.logger, 'announcement reader errors')
    // Redis is back: retry now rather than at the end of the current pause (up to MAX_RETRY_MS).
    redis.on('ready', () => this.wake?.())
  }

  /** Opens the reader's own connection (plain Redis or a cluster, as the broker does). */
  static async open (options: OpenAnnouncementReaderOptions): Promise<AnnouncementReader> {
    const topology = redisTopology(options)
    const commandTimeoutMs = options.commandTimeoutMs ?? 2000
    // No offline queue: while Redis is away a read fails at
    // once and the loop retries at a bounded pace, instead of reads piling up in a queue. No
    // retries per request: a read in flight when the connection drops fails at once, instead of
    // waiting out its timeout (ioredis neither resends nor fails it otherwise).
    const noQueue = topology.sharded ? {} : { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 }
    const redis = await topology.open({
      connectionName: options.connectionName, commandTimeout: commandTimeoutMs, ...noQueue
    }, options.logger, 'announcements')
    return new AnnouncementReader(redis, options)
  }

  /** Starts reading (call once every live component is known: at onReady). */
  start (): void {
    if (this.running !== null || this.closed) return
    this.running = this.run()
  }

  stats (): AnnouncementStats {
    return { ...this.counters }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Wakes a pause between polls; a read in flight is bounded by commandTimeoutMs. This
    // consumer's name is removed from the group by the others once it is stale.
    this.wake?.()
    if (this.running !== null) await withTimeout(this.running, CLOSE_STEP_MS, 'the announcement reader').catch(() => {})
    await closeRedis(this.redis)
  }

  private async run (): Promise<void> {
    let failures = 0
    let nextClaim = 0 // at start: entries a dead instance left behind
    while (!this.closed) {
      try {
        if (!this.groupReady) await this.createGroup()
        if (Date.now() >= nextClaim) {
          await this.maintain()
          nextClaim = Date.now() + Math.max(1000, Math.floor(this.claimIdleMs / 2))
        }
        await this.handle(await this.readNew())
        failures = 0
      } catch (error) {
        if (this.closed) break
        // A read that timed out here may still run when Redis answers again (a frozen Redis):
        // what it hands out is pending on this consumer, so the next read takes those first
        // instead of leaving them to the takeover of dead consumers (claimIdleMs later).
        this.ownPendingFirst = true
        this.counters.errors++
        this.errorLog.warn({ err: error }, 'reading announcements failed; retrying')
        if (/NOGROUP/.test((error as Error).message)) {
          // The stream or the group is gone (Redis restarted empty, flushed, failed over to an
          // empty replica) but Redis answers: create it again at once, from the start of what
          // the stream holds now.
          this.groupReady = false
          await this.pause(50)
        } else {
          await this.pause(Math.min(MAX_RETRY_MS, 250 * 2 ** Math.min(failures++, 5)))
        }
      }
    }
  }

  /**
   * Creates the group unless it exists. From "0": an entry already in the stream was announced
   * by no instance yet (the group was not there to hand it out); old ones are coalesced and capped
   * by broadcasts like any burst, so reading them again cannot flood browsers.
   */
  private async createGroup (): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, ANNOUNCEMENTS_GROUP, '0', 'MKSTREAM')
      this.counters.groupsCreated++
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error
    }
    this.groupReady = true
  }

  private async readNew (): Promise<Entry[]> {
    // close() may have come while the previous step awaited Redis: no new read then.
    if (this.closed) return []
    if (this.ownPendingFirst) {
      // "0": the entries handed to this consumer and not acknowledged yet.
      const { entries: pending } = await this.readBounded('read', '0')
      if (pending.length > 0) return pending
      this.ownPendingFirst = false
    }
    const { entries } = await this.readBounded('read', '>')
    if (entries.length === 0) await this.pause(this.pollMs)
    return entries
  }

  /** READ_SCRIPT: a batch with the oversized entries already acknowledged, deleted and counted. */
  private async readBounded (mode: 'read' | 'claim', start: string): Promise<{ cursor: string, entries: Entry[] }> {
    const args = [1, this.key, this.maxEntryBytes, ANNOUNCEMENTS_GROUP, this.options.consumer, this.batchSize, mode, start, this.claimIdleMs] as const
    let reply: unknown
    try {
      reply = await this.redis.evalsha(READ_SCRIPT_SHA, ...args)
    } catch (error) {
      if (!/NOSCRIPT/.test((error as Error).message)) throw error
      reply = await this.redis.eval(READ_SCRIPT, ...args)
    }
    const [cursor, kept, oversized] = Array.isArray(reply) ? reply as unknown[] : []
    const dropped = Array.isArray(oversized) ? oversized.filter((entry): entry is [string, number] => Array.isArray(entry) && isValidId(entry[0])) : []
    if (dropped.length > 0) {
      this.counters.received += dropped.length
      this.counters.rejected += dropped.length
      this.counters.oversized += dropped.length
      this.badInputLog.warn({ ids: dropped.slice(0, 10).map(([id]) => id), bytes: dropped.slice(0, 10).map(([, bytes]) => Number(bytes)), max: this.maxEntryBytes },
        `announcements in ${this.key} over ${this.maxEntryBytes} bytes: deleted in Redis without being read`)
    }
    return { cursor: typeof cursor === 'string' ? cursor : '', entries: entriesOf(kept) }
  }

  /** Hands every entry to broadcasts (or drops it), then acknowledges the whole batch. */
  private async handle (entries: Entry[]): Promise<void> {
    if (entries.length === 0) return
    for (const [id, fields] of entries) {
      this.counters.received++
      const payload = fieldValue(fields, ANNOUNCEMENT_FIELD)
      const change = payload === undefined ? undefined : parseChange(payload)
      if (change === undefined) {
        this.counters.rejected++
        this.badInputLog.warn({ id, head: headOf(fields) },
          `malformed announcement in ${this.key} (expected field "${ANNOUNCEMENT_FIELD}" with {"tags":[…],"kind"?,"id"?}): dropped`)
        continue
      }
      const { tags, ...rest } = change
      try {
        this.options.announce(tags, rest)
        this.counters.announced++
      } catch (error) {
        this.options.logger.error({ err: error, id }, 'announcing a change from the stream threw; dropped')
      }
    }
    await this.redis.xack(this.key, ANNOUNCEMENTS_GROUP, ...entries.map(([id]) => id))
  }

  /** Takes over what dead instances left unacknowledged, forgets them, and bounds the stream. */
  private async maintain (): Promise<void> {
    await this.dropUndeliverable()
    let cursor = '0-0'
    for (let round = 0; round < 10; round++) {
      const claim = await this.readBounded('claim', cursor)
      const entries = claim.entries
      this.counters.claimed += entries.length
      await this.handle(entries)
      cursor = isValidId(claim.cursor) ? claim.cursor : '0-0'
      if (cursor === '0-0' || this.closed) break
    }
    await this.removeStaleConsumers()
    // Writers are asked for MAXLEN ~, but one that forgets must not grow the stream forever.
    await this.redis.xtrim(this.key, 'MAXLEN', '~', ANNOUNCEMENTS_MAXLEN)
  }

  /**
   * An entry handed out MAX_DELIVERIES times and never acknowledged cannot be read (one too
   * large for a reply, say): acknowledged and counted as rejected, or it would block its batch
   * and be fetched again at every takeover.
   */
  private async dropUndeliverable (): Promise<void> {
    // [[id, consumer, idle ms, deliveries], …] of entries idle for claimIdleMs.
    const pending = await this.redis.xpending(this.key, ANNOUNCEMENTS_GROUP, 'IDLE', this.claimIdleMs, '-', '+', this.batchSize) as unknown
    if (!Array.isArray(pending)) return
    const stuck = pending
      .filter((entry): entry is [string, string, number, number] => Array.isArray(entry) && isValidId(entry[0]) && Number(entry[3]) >= MAX_DELIVERIES)
      .map(([id]) => id)
    if (stuck.length === 0) return
    await this.redis.xack(this.key, ANNOUNCEMENTS_GROUP, ...stuck)
    this.counters.rejected += stuck.length
    this.badInputLog.warn({ ids: stuck.slice(0, 10), deliveries: MAX_DELIVERIES }, `announcements in ${this.key} that could not be read after ${MAX_DELIVERIES} deliveries: dropped`)
  }

  /** Every start of a process adds a consumer; those of processes that are gone are removed. */
  private async removeStaleConsumers (): Promise<void> {
    const consumers = await this.redis.xinfo('CONSUMERS', this.key, ANNOUNCEMENTS_GROUP) as unknown
    if (!Array.isArray(consumers)) return
    for (const info of consumers.slice(0, 1000)) {
      const fields = Array.isArray(info) ? info : []
      const name = fieldValue(fields, 'name')
      const pending = Number(fieldAt(fields, 'pending'))
      const idle = Number(fieldAt(fields, 'idle'))
      // Only consumers with nothing pending: what a dead one holds is taken over by XAUTOCLAIM first.
      if (name !== undefined && name !== this.options.consumer && pending === 0 && idle > this.staleConsumerMs) {
        await this.redis.xgroup('DELCONSUMER', this.key, ANNOUNCEMENTS_GROUP, name)
      }
    }
  }

  private async pause (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.wake = null
  }
}

/** Entries of a reply, checked: [id, fields] with a valid id; fields is null for an entry deleted while pending. */
function entriesOf (value: unknown): Entry[] {
  if (!Array.isArray(value)) return []
  return value.filter((entry): entry is Entry => Array.isArray(entry) && entry.length === 2 && isValidId(entry[0]))
}

/** The start of an entry's fields for a log line, cheap however large they are. */
function headOf (fields: unknown): string {
  if (!Array.isArray(fields)) return String(fields)
  return fields.slice(0, 4).map((part) => String(part).slice(0, 100)).join(' ')
}

function fieldAt (fields: unknown, name: string): unknown {
  if (!Array.isArray(fields)) return undefined
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]
  return undefined
}

function fieldValue (fields: unknown, name: string): string | undefined {
  const value = fieldAt(fields, name)
  return typeof value === 'string' ? value : undefined
}
