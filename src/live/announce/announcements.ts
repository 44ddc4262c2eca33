// Announcements from outside the app: a writer that is not this service (SQL by hand, another
// service, `npm run announce`, the seed) says which data changed, by tag, with one Redis command:
//
//   XADD <prefix>broadcast:announcements MAXLEN ~ 10000 * change '{"tags":["contacts","contact:42"],"kind":"update","id":42}'
//
// The writer knows nothing of components or channels. Every instance reads the stream through
// one consumer group shared by all instances, so each entry is handed to ONE instance, which
// calls broadcasts.announce(): each affected component's update is published once in all (then
// every instance renders that message once for its pages, as for a write through the app).
// Reading once per instance instead would publish every update once per instance.
//
// Delivery is at least once: an entry is acknowledged (XACK) after it was handed to announce();
// entries read by an instance that died before acknowledging them are taken over (XAUTOCLAIM)
// by another after claimIdleMs. Payloads are hostile: parseChange() checks each one, a bad one is
// dropped, counted and logged at a bounded rate, and acknowledged so it is not read again.
//
// One key, so it needs no hash tag in a Redis Cluster (every command touches only it, any slot
// will do) and writers use the same command with plain Redis and a cluster.
//
// Entries are hostile in size too: MAXLEN counts entries, not bytes, and an XREADGROUP reply
// carries each entry whole. So every read runs in a script on the Redis side (READ_SCRIPT) that
// measures each entry, acknowledges and deletes one over ANNOUNCEMENT_MAX_BYTES there, and hands
// back only its id and size: an 8 MB entry never crosses into the process. A script cannot
// block, so the reader polls (pollMs) when the stream has nothing new; it has a connection of
// its own ("<name>:announce") so its reads never queue behind the app's commands.
//
// This file: the stream's names and bounds, and the writers' side; announcement-reader.ts reads.
import type { Change } from '../live-source.js'
import type { LiveLogger } from '../broker/broker.js'
import { parseChange } from './broadcasts.js'
import { closeRedis } from '../broker/redis-connection.js'
import { redisTopology, type RedisClient, type RedisTarget } from '../broker/redis-topology.js'

/** After CHANNEL_PREFIX: the stream outside writers XADD to. */
export const ANNOUNCEMENTS_KEY = 'broadcast:announcements'
/** The entry's field holding the change as JSON: {"tags":[…],"kind"?:…,"id"?:…}. */
export const ANNOUNCEMENT_FIELD = 'change'
/** The consumer group every instance reads through. */
export const ANNOUNCEMENTS_GROUP = 'flc-broadcasts'
/** Entries kept (MAXLEN ~): writers pass it, and the reader trims to it in case one did not. */
export const ANNOUNCEMENTS_MAXLEN = 10_000
/**
 * Largest entry read (the bytes of its field names and values). A change of 50 tags of 100
 * characters is ~5 KB; anything larger is a mistake or an attack, dropped without being read.
 */
export const ANNOUNCEMENT_MAX_BYTES = 16 * 1024

export function announcementsKey (prefix: string): string {
  return prefix + ANNOUNCEMENTS_KEY
}

/**
 * The documented command, for writers in TypeScript (the CLI, the seed): checks the change as the
 * reader will, then XADDs it. Resolves with the entry's id.
 */
export async function addAnnouncement (redis: RedisClient, prefix: string, change: Change): Promise<string> {
  const payload = JSON.stringify(change)
  if (parseChange(payload) === undefined) {
    throw new TypeError(`not a valid change: ${payload.slice(0, 200)} (tags: 1-50 of letters, digits, _ . : -; kind: create, update or delete; id: a positive integer)`)
  }
  const id = await redis.xadd(announcementsKey(prefix), 'MAXLEN', '~', ANNOUNCEMENTS_MAXLEN, '*', ANNOUNCEMENT_FIELD, payload)
  if (id === null) throw new Error('Redis did not add the announcement')
  return id
}

/**
 * For one-shot writers (`npm run announce`, the seed): connects to the app's Redis, adds one
 * announcement, disconnects. Every wait is bounded. Resolves with the entry's id.
 */
export async function announceOnce (target: RedisTarget, prefix: string, change: Change, logger: LiveLogger): Promise<string> {
  const redis = await redisTopology(target).open({ connectionName: 'flc:announce', commandTimeout: 5000, maxRetriesPerRequest: 1 }, logger, 'announce')
  try {
    return await addAnnouncement(redis, prefix, change)
  } finally {
    await closeRedis(redis)
  }
}
