// Presence in Redis, shared by every instance. Per topic T, with CHANNEL_PREFIX P:
//   P + "presence:{T}"          sorted set: member (a hashed session id) → expiry (ms, Redis clock)
//   P + "presence:{T}:holders"  sorted set, every score 0 (lexical): "<member>|<instance>" for
//                               each instance holding a stream of that member on T
// The hash tag {T} keeps both keys of a topic in one slot (Redis Cluster: each script touches one).
// Counting is ZCOUNT of unexpired members: distinct sessions, whatever the tabs or instances.
// Each instance renews its members every PRESENCE_TTL_MS / 3 (its open streams are the heartbeat);
// a member nobody renewed for PRESENCE_TTL_MS (its instance died) no longer counts and is pruned
// at the next renewal of another instance, which then sends an update. A closed stream leaves at
// once, unless another instance still holds that session there (its holder entry says so).
// Both keys expire after 2 × TTL without a renewal: nothing is left behind by dead instances.
import { randomBytes } from 'node:crypto'
import type { LimitedLogger } from '../util/log-limiter.js'
import { redisTopology, type RedisClient, type RedisTarget } from '../live/broker/redis-topology.js'
import { closeRedis } from '../live/broker/redis-connection.js'
import type { PresenceStore } from './presence.js'

// now: Redis' clock, so instances with skewed clocks agree on what expired.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// Renews one member (and its holder entry); 1 when it was not counted before.
const RENEW = `
local function renew (member, instance, now, ttl)
  redis.call('ZADD', KEYS[2], 0, member .. '|' .. instance)
  local score = redis.call('ZSCORE', KEYS[1], member)
  if score and tonumber(score) >= now + ttl then return 0 end
  redis.call('ZADD', KEYS[1], now + ttl, member)
  if score and tonumber(score) > now then return 0 end
  return 1
end
local function keep (ttl)
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  redis.call('PEXPIRE', KEYS[2], ttl * 2)
end
`

// KEYS: set, holders. ARGV: member, instance, ttl.
const ADD_LUA = `${NOW}${RENEW}
local ttl = tonumber(ARGV[3])
local added = renew(ARGV[1], ARGV[2], now, ttl)
keep(ttl)
return added
`

// KEYS: set, holders. ARGV: member, instance. The member leaves unless another instance holds it.
const REMOVE_LUA = `
redis.call('ZREM', KEYS[2], ARGV[1] .. '|' .. ARGV[2])
local others = redis.call('ZRANGEBYLEX', KEYS[2], '[' .. ARGV[1] .. '|', '(' .. ARGV[1] .. '}', 'LIMIT', 0, 1)
if #others > 0 then return 0 end
return redis.call('ZREM', KEYS[1], ARGV[1])
`

// KEYS: set. ARGV: member or "". Answers {count, member present (0/1)}.
const COUNT_LUA = `${NOW}
local count = redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
local present = 0
if ARGV[1] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if score and tonumber(score) > now then present = 1 end
end
return {count, present}
`

// KEYS: set, holders. ARGV: instance, ttl, members… Renews them, prunes the expired (and their
// holders). Answers how many were added plus how many were pruned (0: the count did not change).
const REFRESH_LUA = `${NOW}${RENEW}
local ttl = tonumber(ARGV[2])
local changed = 0
for i = 3, #ARGV do changed = changed + renew(ARGV[i], ARGV[1], now, ttl) end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
for _, member in ipairs(expired) do
  redis.call('ZREMRANGEBYLEX', KEYS[2], '[' .. member .. '|', '(' .. member .. '}')
  redis.call('ZREM', KEYS[1], member)
end
keep(ttl)
return changed + #expired
`

/** Members per refresh script call (one call must not block Redis for long). */
const REFRESH_BATCH = 500

interface PresenceCommands {
  flcPresenceAdd (set: string, holders: string, member: string, instance: string, ttlMs: number): Promise<number>
  flcPresenceRemove (set: string, holders: string, member: string, instance: string): Promise<number>
  flcPresenceCount (set: string, member: string): Promise<[number, number]>
  flcPresenceRefresh (set: string, holders: string, instance: string, ttlMs: number, ...members: string[]): Promise<number>
}

export interface RedisPresenceOptions extends RedisTarget {
  /** CHANNEL_PREFIX. */
  prefix: string
  /** PRESENCE_TTL_MS. */
  ttlMs: number
  /** CLIENT SETNAME of the connection. */
  connectionName: string
  commandTimeoutMs?: number
  logger: LimitedLogger & { info (obj: object, msg?: string): void, error (obj: object, msg?: string): void, debug (obj: object, msg?: string): void }
  /** This instance's name in holder entries (default: random). */
  instance?: string
}

export function presenceKeys (prefix: string, topic: string): { set: string, holders: string } {
  const set = `${prefix}presence:{${topic}}`
  return { set, holders: `${set}:holders` }
}

export class RedisPresenceStore implements PresenceStore {
  readonly kind = 'redis' as const
  readonly instance: string
  private readonly commands: PresenceCommands

  constructor (private readonly redis: RedisClient, private readonly options: Omit<RedisPresenceOptions, 'connectionName'>) {
    if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1) throw new TypeError('RedisPresenceStore: ttlMs must be a positive integer (PRESENCE_TTL_MS)')
    this.instance = options.instance ?? randomBytes(8).toString('base64url')
    redis.defineCommand('flcPresenceAdd', { numberOfKeys: 2, lua: ADD_LUA })
    redis.defineCommand('flcPresenceRemove', { numberOfKeys: 2, lua: REMOVE_LUA })
    redis.defineCommand('flcPresenceCount', { numberOfKeys: 1, lua: COUNT_LUA })
    redis.defineCommand('flcPresenceRefresh', { numberOfKeys: 2, lua: REFRESH_LUA })
    this.commands = redis as unknown as PresenceCommands
  }

  /** Opens its own connection (plain Redis or a cluster, as the broker does). */
  static async open (options: RedisPresenceOptions): Promise<RedisPresenceStore> {
    const topology = redisTopology(options)
    // Fail fast while Redis is away rather than queue: the next renewal sets everything right.
    const noQueue = topology.sharded ? {} : { enableOfflineQueue: false, maxRetriesPerRequest: 0 }
    const redis = await topology.open({ connectionName: options.connectionName, commandTimeout: options.commandTimeoutMs ?? 2000, ...noQueue }, options.logger, 'presence')
    return new RedisPresenceStore(redis, options)
  }

  async add (topic: string, member: string): Promise<boolean> {
    const { set, holders } = presenceKeys(this.options.prefix, topic)
    return await this.commands.flcPresenceAdd(set, holders, member, this.instance, this.options.ttlMs) === 1
  }

  async remove (topic: string, member: string): Promise<boolean> {
    const { set, holders } = presenceKeys(this.options.prefix, topic)
    return await this.commands.flcPresenceRemove(set, holders, member, this.instance) === 1
  }

  async count (topic: string, member?: string): Promise<{ count: number, present: boolean }> {
    const [count, present] = await this.commands.flcPresenceCount(presenceKeys(this.options.prefix, topic).set, member ?? '')
    return { count: Number(count), present: Number(present) === 1 }
  }

  async refresh (held: ReadonlyMap<string, ReadonlySet<string>>): Promise<string[]> {
    // Every call is issued now, in order after the adds and removes already sent: a stream
    // closing after this snapshot is removed after its renewal, never before.
    const calls: Array<Promise<[string, number]>> = []
    for (const [topic, members] of held) {
      const { set, holders } = presenceKeys(this.options.prefix, topic)
      const list = [...members]
      for (let start = 0; start === 0 || start < list.length; start += REFRESH_BATCH) {
        const batch = list.slice(start, start + REFRESH_BATCH)
        calls.push(this.commands.flcPresenceRefresh(set, holders, this.instance, this.options.ttlMs, ...batch).then((changed) => [topic, Number(changed)]))
      }
    }
    const changed = new Set<string>()
    for (const [topic, count] of await Promise.all(calls)) if (count > 0) changed.add(topic)
    return [...changed]
  }

  async close (): Promise<void> {
    await closeRedis(this.redis)
  }
}
