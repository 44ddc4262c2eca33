// Everything the Redis broker does on its command connection: storing (Lua scripts), reading
// history. Also used alone by the random-notifications CLI, which only publishes.
//
// Layout for channel C with CHANNEL_PREFIX P:
//   P + C                      pub/sub: raw messages from any Redis client (the seed's PUBLISH)
//   P + "live:envelope:" + C   pub/sub: "<id>\n<payload>" after the message is stored
//   P + "live:history:" + C    stream: the history, one entry per message, field "payload"
//   P + "live:dedupe:" + C + ":" + hash   string with a short TTL: raw message already stored
// In a Redis Cluster (sharded) the live keys carry the channel as a hash tag, so they share a
// slot: P + "live:{" + C + "}:envelope" (sharded pub/sub), ":history", ":dedupe:" + hash.
import { createHash } from 'node:crypto'
import type { RedisClient } from './redis-topology.js'
import type { BrokerMessage, HistoryRead } from './broker.js'
import { ORIGIN_ID } from './ids.js'

/**
 * How long a raw message's fingerprint is remembered. Every process receives each raw PUBLISH
 * and tries to store it; the first one wins, the others see the fingerprint and skip.
 * Caveat: two raw messages with the same payload on the same channel within this window are
 * taken for one (the second is not stored or delivered), and a process that sees a raw message
 * more than this long after another process stored it would store it again. Publishers that
 * need exact semantics use publish() (the CLI does), which never goes through this path.
 */
export const RAW_DEDUPE_WINDOW_MS = 5000

export interface ChannelKeys {
  raw: string
  envelope: string
  history: string
  dedupePrefix: string
}

export function channelKeys (prefix: string, channel: string, sharded = false): ChannelKeys {
  if (sharded) {
    const tagged = `${prefix}live:{${channel}}:`
    return { raw: prefix + channel, envelope: `${tagged}envelope`, history: `${tagged}history`, dedupePrefix: `${tagged}dedupe:` }
  }
  return {
    raw: prefix + channel,
    envelope: `${prefix}live:envelope:${channel}`,
    history: `${prefix}live:history:${channel}`,
    dedupePrefix: `${prefix}live:dedupe:${channel}:`
  }
}

// XADD and PUBLISH in one script: scripts run one at a time, so the order of ids in the
// stream is the order in which subscribers receive the envelopes.
// In a cluster the envelope goes out by SPUBLISH, on the shard that holds the stream.
const publishLua = (command: 'PUBLISH' | 'SPUBLISH') => `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'payload', ARGV[3])
redis.call('${command}', ARGV[1], id .. '\\n' .. ARGV[3])
return id`

// Same, guarded by a fingerprint so N processes store one raw message once.
const ingestRawLua = (command: 'PUBLISH' | 'SPUBLISH') => `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[4]) then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'payload', ARGV[3])
redis.call('${command}', ARGV[1], id .. '\\n' .. ARGV[3])
return id`

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

interface ScriptedRedis {
  flcLivePublish (history: string, envelope: string, maxLen: number, payload: string): Promise<string>
  flcLiveReadAll (history: string): Promise<[StreamEntry[], number | null]>
  flcLiveIngestRaw (history: string, dedupe: string, envelope: string, maxLen: number, payload: string, windowMs: number): Promise<string | null>
}

type StreamEntry = [id: string, fields: string[]]

function toMessage ([id, fields]: StreamEntry): BrokerMessage | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'payload') return { id, payload: fields[i + 1]! }
  }
  return null // an entry someone else wrote by hand; not ours to deliver
}

export class RedisChannelStore {
  private readonly scripted: ScriptedRedis

  /** sharded: a Redis Cluster (hash-tagged keys, SPUBLISH); false: plain Redis. */
  constructor (readonly redis: RedisClient, readonly prefix: string, readonly historySize: number, readonly sharded = false) {
    const publish = sharded ? 'SPUBLISH' : 'PUBLISH'
    // defineCommand caches the script and sends EVALSHA (EVAL after a NOSCRIPT).
    redis.defineCommand('flcLivePublish', { numberOfKeys: 1, lua: publishLua(publish) })
    redis.defineCommand('flcLiveIngestRaw', { numberOfKeys: 2, lua: ingestRawLua(publish) })
    redis.defineCommand('flcLiveReadAll', { numberOfKeys: 1, lua: READ_ALL_LUA })
    this.scripted = redis as unknown as ScriptedRedis
  }

  keys (channel: string): ChannelKeys {
    return channelKeys(this.prefix, channel, this.sharded)
  }

  /** Stores and announces a message; resolves with its stream id. */
  publish (channel: string, payload: string): Promise<string> {
    const keys = this.keys(channel)
    return this.scripted.flcLivePublish(keys.history, keys.envelope, this.historySize, payload)
  }

  /** Stores a raw PUBLISH unless another process did; resolves with the id, or null if a duplicate. */
  ingestRaw (channel: string, payload: string): Promise<string | null> {
    const keys = this.keys(channel)
    const fingerprint = createHash('sha256').update(payload).digest('base64url')
    return this.scripted.flcLiveIngestRaw(keys.history, keys.dedupePrefix + fingerprint, keys.envelope, this.historySize, payload, RAW_DEDUPE_WINDOW_MS)
  }

  async readAfter (channel: string, lastId: string): Promise<HistoryRead> {
    if (lastId === ORIGIN_ID) return this.readAll(channel)
    // Inclusive start: finding lastId itself proves nothing after it was trimmed away.
    // Unbounded on purpose: MAXLEN ~ keeps the stream near historySize.
    const entries = await this.redis.xrange(this.keys(channel).history, lastId, '+') as StreamEntry[]
    const complete = entries.length > 0 && entries[0]![0] === lastId
    const messages: BrokerMessage[] = []
    for (const entry of complete ? entries.slice(1) : entries) {
      const message = toMessage(entry)
      if (message !== null) messages.push(message)
    }
    return { messages, complete }
  }

  private async readAll (channel: string): Promise<HistoryRead> {
    const [entries, added] = await this.scripted.flcLiveReadAll(this.keys(channel).history)
    // Nothing was ever removed (trimmed or deleted) when the stream holds all it ever received.
    // Without entries-added: MAXLEN ~ never trims below historySize, so shorter = untrimmed.
    const complete = added === null ? entries.length < this.historySize : Number(added) === entries.length
    const messages: BrokerMessage[] = []
    for (const entry of entries) {
      const message = toMessage(entry)
      if (message !== null) messages.push(message)
    }
    return { messages, complete }
  }

  async lastId (channel: string): Promise<string | null> {
    const entries = await this.redis.xrevrange(this.keys(channel).history, '+', '-', 'COUNT', 1) as StreamEntry[]
    return entries[0]?.[0] ?? null
  }
}
