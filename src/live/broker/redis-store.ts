// Everything the Redis broker does on its command connection: storing (Lua scripts), reading
// history. Also used alone by the random-notifications CLI, which only publishes.
//
// Layout for channel C with CHANNEL_PREFIX P:
//   P + C                      pub/sub: raw messages from any Redis client (the seed's PUBLISH)
//   P + "live:envelope:" + C   pub/sub: "<id>\n<payload>" after the message is stored
//   P + "live:history:" + C    stream: the history, one entry per message, field "payload"
//   P + "live:dedupe:" + C + ":" + hash   string with a short TTL: raw message already stored
//   P + "live:meta:" + C       hash: the history's epoch (as Centrifugo keeps one per stream):
//                              epoch  random token, new whenever the stream is created again
//                              start  oldest id of this incarnation of the stream
//                              previous  newest id processes had delivered from the one Redis lost
// History and meta expire after HISTORY_IDLE_TTL_MS without a message (every write renews it):
// channels nobody writes to any more (one per browser session for private feeds) do not pile up.
// The meta hash lives and dies with the stream (same Redis, same persistence): after a restart
// without persistence or a FLUSHALL both are gone, and the next write starts a new epoch. That is
// how a missing id is told apart: older than `start` = lost with the old stream; newer = trimmed.
// In a Redis Cluster (sharded) the live keys carry the channel as a hash tag, so they share a
// slot: P + "live:{" + C + "}:envelope" (sharded pub/sub), ":history", ":meta", ":dedupe:" + hash.
import { createHash, randomBytes } from 'node:crypto'
import type { RedisClient } from './redis-topology.js'
import type { BrokerMessage, HistoryRead } from './broker.js'
import { compareIds, isValidId, ORIGIN_ID } from './ids.js'

/**
 * How long a raw message's fingerprint is remembered. Every process receives each raw PUBLISH
 * and tries to store it; the first one wins, the others see the fingerprint and skip.
 * Caveat: two raw messages with the same payload on the same channel within this window are
 * taken for one (the second is not stored or delivered), and a process that sees a raw message
 * more than this long after another process stored it would store it again. Publishers that
 * need exact semantics use publish() (the CLI does), which never goes through this path.
 */
export const RAW_DEDUPE_WINDOW_MS = 5000

/** A channel's history (and its meta) is dropped after this long without a message: 7 days. */
export const HISTORY_IDLE_TTL_MS = 7 * 24 * 3600 * 1000

export interface ChannelKeys {
  raw: string
  envelope: string
  history: string
  dedupePrefix: string
  meta: string
}

export function channelKeys (prefix: string, channel: string, sharded = false): ChannelKeys {
  if (sharded) {
    const tagged = `${prefix}live:{${channel}}:`
    return { raw: prefix + channel, envelope: `${tagged}envelope`, history: `${tagged}history`, dedupePrefix: `${tagged}dedupe:`, meta: `${tagged}meta` }
  }
  return {
    raw: prefix + channel,
    envelope: `${prefix}live:envelope:${channel}`,
    history: `${prefix}live:history:${channel}`,
    dedupePrefix: `${prefix}live:dedupe:${channel}:`,
    meta: `${prefix}live:meta:${channel}`
  }
}

// A new stream (first write, or first after Redis lost it) starts a new epoch in the meta hash.
const EPOCH_LUA = `
local function startEpoch (meta, history, token)
  if redis.call('HSETNX', meta, 'epoch', token) == 0 then return end
  local first = redis.call('XRANGE', history, '-', '+', 'COUNT', 1)[1]
  local start
  if first then start = first[1] else
    local t = redis.call('TIME')
    start = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000)) .. '-0'
  end
  redis.call('HSET', meta, 'start', start)
end
`

// XADD and PUBLISH in one script: scripts run one at a time, so the order of ids in the
// stream is the order in which subscribers receive the envelopes.
// ARGV[5]: a deadline in Redis's clock (ms; "0" = none). A publish that reaches Redis after its
// caller stopped waiting (Redis was frozen, the command sat in a socket buffer) is refused
// instead of published behind the caller's back. In a cluster the envelope goes out by
// SPUBLISH, on the shard that holds the stream.
const publishLua = (command: 'PUBLISH' | 'SPUBLISH') => `${EPOCH_LUA}
if ARGV[5] ~= '0' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[5]) then return false end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'payload', ARGV[3])
startEpoch(KEYS[2], KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('${command}', ARGV[1], id .. '\\n' .. ARGV[3])
return id`

// Same, guarded by a fingerprint so N processes store one raw message once.
const ingestRawLua = (command: 'PUBLISH' | 'SPUBLISH') => `${EPOCH_LUA}
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[4]) then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'payload', ARGV[3])
startEpoch(KEYS[3], KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
redis.call('${command}', ARGV[1], id .. '\\n' .. ARGV[3])
return id`

// A process found the history lost: start the new epoch now (even before the next message) and
// record the newest id it had delivered from the lost one, keeping the largest any process saw.
// Clients that had that id missed nothing and are replayed the new epoch instead of a reset.
const NOTE_LOSS_LUA = `${EPOCH_LUA}
local function older (a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
startEpoch(KEYS[1], KEYS[2], ARGV[1])
local previous = redis.call('HGET', KEYS[1], 'previous')
if not previous or older(previous, ARGV[2]) then redis.call('HSET', KEYS[1], 'previous', ARGV[2]) end
return redis.call('HGET', KEYS[1], 'epoch')`

// The whole history plus how many entries the stream ever received (Redis >= 7 reports
// entries-added; older versions answer nil and the caller falls back to the stream's length).
const READ_ALL_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {{}, 0} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local added = false
for i = 1, #info, 2 do
  if info[i] == 'entries-added' then added = info[i + 1] end
end
return {redis.call('XRANGE', KEYS[1], '-', '+'), added}`

// The newest entry and the start of the stream's current incarnation, read together.
const READ_LATEST_LUA = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
return {newest or false, redis.call('HGET', KEYS[2], 'start')}`

interface ScriptedRedis {
  flcLivePublish (history: string, meta: string, envelope: string, maxLen: number, payload: string, epoch: string, deadline: string, idleTtlMs: number): Promise<string | null>
  flcLiveReadAll (history: string): Promise<[unknown[], number | null]>
  flcLiveReadLatest (history: string, meta: string): Promise<[unknown, unknown]>
  flcLiveIngestRaw (history: string, dedupe: string, meta: string, envelope: string, maxLen: number, payload: string, windowMs: number, epoch: string, idleTtlMs: number): Promise<string | null>
  flcLiveNoteLoss (meta: string, history: string, epoch: string, deliveredId: string): Promise<string>
}

/** A fresh epoch token; random so that two incarnations of a stream never share one. */
function newEpoch (): string {
  return randomBytes(6).toString('base64url')
}

/**
 * A stream entry as Redis answered it, checked: [id, [field, value, ...]] with a valid id and a
 * string "payload" field. Anything else (an entry someone wrote by hand, a reply we did not
 * expect) is not ours to deliver: null.
 */
export function toMessage (entry: unknown): BrokerMessage | null {
  if (!Array.isArray(entry) || entry.length !== 2) return null
  const [id, fields] = entry as [unknown, unknown]
  if (!isValidId(id) || !Array.isArray(fields)) return null
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'payload') return typeof fields[i + 1] === 'string' ? { id, payload: fields[i + 1] as string } : null
  }
  return null
}

export interface ChannelMeta {
  epoch: string | null
  start: string | null
  previous: string | null
}

/** The checked messages of a reply, and how many entries were dropped as malformed. */
function toMessages (entries: unknown[]): { messages: BrokerMessage[], rejected: number } {
  const messages: BrokerMessage[] = []
  let rejected = 0
  for (const entry of entries) {
    const message = toMessage(entry)
    if (message === null) rejected++
    else messages.push(message)
  }
  return { messages, rejected }
}

export class RedisChannelStore {
  private readonly scripted: ScriptedRedis

  /** Stream entries dropped as malformed (they are counted by the broker's stats). */
  rejectedEntries = 0

  /** sharded: a Redis Cluster (hash-tagged keys, SPUBLISH); false: plain Redis. */
  constructor (readonly redis: RedisClient, readonly prefix: string, readonly historySize: number, readonly sharded = false) {
    const publish = sharded ? 'SPUBLISH' : 'PUBLISH'
    // defineCommand caches the script and sends EVALSHA (EVAL after a NOSCRIPT).
    redis.defineCommand('flcLivePublish', { numberOfKeys: 2, lua: publishLua(publish) })
    redis.defineCommand('flcLiveIngestRaw', { numberOfKeys: 3, lua: ingestRawLua(publish) })
    redis.defineCommand('flcLiveReadAll', { numberOfKeys: 1, lua: READ_ALL_LUA })
    redis.defineCommand('flcLiveReadLatest', { numberOfKeys: 2, lua: READ_LATEST_LUA })
    redis.defineCommand('flcLiveNoteLoss', { numberOfKeys: 2, lua: NOTE_LOSS_LUA })
    this.scripted = redis as unknown as ScriptedRedis
  }

  keys (channel: string): ChannelKeys {
    return channelKeys(this.prefix, channel, this.sharded)
  }

  /** Redis's clock minus ours (ms), measured by syncClock(): turns publish deadlines into Redis time, and tells how new a fresh id can be. */
  clockOffsetMs = 0

  /** Measures the offset between Redis's clock and ours (call after each connect). */
  async syncClock (): Promise<void> {
    const before = Date.now()
    const [seconds, micros] = await this.redis.time()
    const after = Date.now()
    this.clockOffsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - Math.round((before + after) / 2)
  }

  /**
   * Stores and announces a message; resolves with its stream id. With timeoutMs, Redis refuses
   * to run it once that time (less a margin for clock error) has passed since this call: the
   * caller, told it failed, can rely on it never being published later.
   */
  async publish (channel: string, payload: string, timeoutMs = 0): Promise<string> {
    const keys = this.keys(channel)
    const deadline = timeoutMs > 0 ? String(Date.now() + this.clockOffsetMs + timeoutMs - Math.min(500, Math.floor(timeoutMs / 4))) : '0'
    const id = await this.scripted.flcLivePublish(keys.history, keys.meta, keys.envelope, this.historySize, payload, newEpoch(), deadline, HISTORY_IDLE_TTL_MS)
    if (id === null) throw new Error('Redis ran the publish after its deadline and refused it')
    return id
  }

  /** Stores a raw PUBLISH unless another process did; resolves with the id, or null if a duplicate. */
  ingestRaw (channel: string, payload: string): Promise<string | null> {
    const keys = this.keys(channel)
    const fingerprint = createHash('sha256').update(payload).digest('base64url')
    return this.scripted.flcLiveIngestRaw(keys.history, keys.dedupePrefix + fingerprint, keys.meta, keys.envelope, this.historySize, payload, RAW_DEDUPE_WINDOW_MS, newEpoch(), HISTORY_IDLE_TTL_MS)
  }

  async readAfter (channel: string, lastId: string): Promise<HistoryRead> {
    if (lastId === ORIGIN_ID) return this.readAll(channel)
    const keys = this.keys(channel)
    // Inclusive start: finding lastId itself proves nothing after it was trimmed away.
    // Unbounded on purpose: MAXLEN ~ keeps the stream near historySize.
    const entries = await this.redis.xrange(keys.history, lastId, '+') as unknown[]
    const { messages, rejected } = toMessages(entries)
    this.rejectedEntries += rejected
    if (messages.length > 0 && messages[0]!.id === lastId) return { messages: messages.slice(1), complete: true }
    return this.explainGap(channel, lastId, messages)
  }

  /** See Broker.readLatest: one round trip, whatever the length of the history. */
  async readLatest (channel: string, lastId: string): Promise<HistoryRead> {
    const keys = this.keys(channel)
    const [entry, start] = await this.scripted.flcLiveReadLatest(keys.history, keys.meta)
    // A malformed newest entry (written by hand) leaves it to readAfter, which skips and counts it.
    const newest = entry === null ? null : toMessage(entry)
    if (newest !== null) {
      const order = compareIds(newest.id, lastId)
      if (order === 0) return { messages: [], complete: true }
      // Trimmed is no loss here: an id of this incarnation of the stream (not older than its
      // start) needs only the newest message. Older ones may have been lost: readAfter tells.
      if (order > 0 && (lastId === ORIGIN_ID || (isValidId(start) && compareIds(lastId, start) >= 0))) return { messages: [newest], complete: true }
    }
    const read = await this.readAfter(channel, lastId)
    return { ...read, messages: read.messages.slice(-1) }
  }

  /** lastId is not in the stream: trimmed away, or lost with an earlier incarnation of it. */
  private async explainGap (channel: string, lastId: string, messages: BrokerMessage[]): Promise<HistoryRead> {
    const meta = await this.meta(channel)
    if (meta.start === null || compareIds(lastId, meta.start) >= 0) {
      // Within this incarnation and gone: trimmed (or an id that never existed: no gap reason).
      return messages.length > 0 && meta.start !== null ? { messages, complete: false, gap: 'trimmed' } : { messages, complete: false }
    }
    // Older than the stream itself: Redis lost what came after it. Nothing was missed only when
    // lastId is at least the newest id any process had delivered from the lost stream.
    if (meta.previous !== null && compareIds(lastId, meta.previous) >= 0) {
      const all = await this.readAll(channel)
      return { messages: all.messages, complete: all.complete }
    }
    return { messages, complete: false, gap: 'lost' }
  }

  private async readAll (channel: string): Promise<HistoryRead> {
    const [entries, added] = await this.scripted.flcLiveReadAll(this.keys(channel).history)
    const list = Array.isArray(entries) ? entries : []
    // Nothing was ever removed (trimmed or deleted) when the stream holds all it ever received.
    // Without entries-added: MAXLEN ~ never trims below historySize, so shorter = untrimmed.
    const complete = added === null ? list.length < this.historySize : Number(added) === list.length
    const { messages, rejected } = toMessages(list)
    this.rejectedEntries += rejected
    return { messages, complete }
  }

  async lastId (channel: string): Promise<string | null> {
    const entries = await this.redis.xrevrange(this.keys(channel).history, '+', '-', 'COUNT', 1) as unknown[]
    // A malformed newest entry (written by hand) is not a position anyone can continue from.
    const id = Array.isArray(entries[0]) ? (entries[0] as unknown[])[0] : undefined
    return isValidId(id) ? id : null
  }

  /** True when the stream holds an entry with exactly this id (a check of an envelope's id). */
  async hasEntry (channel: string, id: string): Promise<boolean> {
    const entries = await this.redis.xrange(this.keys(channel).history, id, id, 'COUNT', 1) as unknown[]
    return entries.length > 0
  }

  async meta (channel: string): Promise<ChannelMeta> {
    const [epoch, start, previous] = await this.redis.hmget(this.keys(channel).meta, 'epoch', 'start', 'previous')
    return { epoch: epoch ?? null, start: isValidId(start) ? start : null, previous: isValidId(previous) ? previous : null }
  }

  /** Records that the stream before this one was lost, this process having delivered up to deliveredId; resolves with the current epoch. */
  noteLoss (channel: string, deliveredId: string): Promise<string> {
    const keys = this.keys(channel)
    return this.scripted.flcLiveNoteLoss(keys.meta, keys.history, newEpoch(), deliveredId)
  }
}
