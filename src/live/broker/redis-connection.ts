// Opening and closing ioredis connections with errors a person can act on.
import { Redis, type Cluster, type RedisOptions } from 'ioredis'
import type { LiveLogger } from './broker.js'
import { redactUrl } from '../../util/redact-url.js'

/** A Redis URL without its password, for messages and logs. */
export const redactRedisUrl = redactUrl

/**
 * Connects (waiting for "ready") or throws one clear error. While connected, errors are
 * logged once per outage (ioredis reports every reconnect attempt) and ioredis reconnects.
 */
export async function openRedis (
  url: string, options: RedisOptions, logger: LiveLogger, role: string,
  advice = 'Start Redis, fix REDIS_URL, or unset REDIS_URL to use the in-process broker.'
): Promise<Redis> {
  // disconnectTimeout: ioredis arms a timer of this length on disconnect() even when the socket
  // is already closed (it then never fires its cancel): keep it short so exits are not held.
  const redis = new Redis(url, { disconnectTimeout: 200, ...options, lazyConnect: true })
  let lastError: Error | undefined
  let outage = false
  redis.on('error', (error: Error) => {
    lastError = error
    if (!outage) logger.warn({ err: error, role, url: redactRedisUrl(url) }, 'Redis connection error; reconnecting')
    outage = true
  })
  redis.on('ready', () => { outage = false })
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    const reason = lastError?.message ?? (error as Error).message
    throw new Error(`Cannot connect to Redis at ${redactRedisUrl(url)} (${reason}). ${advice}`)
  }
  return redis
}

/** QUIT when connected (pending replies arrive first), otherwise just drop the socket. */
export async function closeRedis (redis: Redis | Cluster): Promise<void> {
  if (redis.status === 'end') return
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined
    try {
      // Bounded: a QUIT that never gets an answer must not hold up shutdown.
      await Promise.race([redis.quit(), new Promise((resolve) => { timer = setTimeout(resolve, 2000) })])
    } catch {
      // already closing; disconnect below
    } finally {
      clearTimeout(timer)
    }
  }
  // QUIT may have closed it meanwhile (TypeScript cannot know the status changed).
  if ((redis.status as string) !== 'end') redis.disconnect()
}
