// npm run notifications:random — the seed's demo publisher: a random notification every 3 s
// (NOTIFY_INTERVAL_MS to change) on "notifications_channel" (after CHANNEL_PREFIX) in Redis
// (REDIS_URL, default redis://127.0.0.1:6379). Ctrl-C / SIGTERM stop it and exit 0.
//
// It stores through the broker's publish script (XADD + PUBLISH of an envelope), not a plain
// PUBLISH: messages get a history id immediately, are replayable, and skip the raw-ingest
// dedupe window. It only needs the command half of the broker, so it opens one connection.
import { ConfigError, loadConfig } from '../config.js'
import type { LiveLogger } from '../live/broker/broker.js'
import { closeRedis, openRedis, redactRedisUrl } from '../live/broker/redis-connection.js'
import { RedisChannelStore } from '../live/broker/redis-store.js'
import { randomNotification } from '../../components/notification/message.js'
import { NOTIFICATION_CHANNEL as CHANNEL } from '../../components/notification/channel.js'

function intervalFromEnv (raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000
  if (!/^\d+$/.test(raw) || Number(raw) < 10 || Number(raw) > 3_600_000) {
    throw new ConfigError('NOTIFY_INTERVAL_MS', raw, 'an integer from 10 to 3600000 (milliseconds between notifications)')
  }
  return Number(raw)
}

let connected = false
const printRedisError = (obj: object) => {
  // Before the first connection, main() prints one clear message instead.
  if (connected) console.error(`Redis: ${(obj as { err?: Error }).err?.message ?? JSON.stringify(obj)}`)
}
const cliLogger: LiveLogger = { debug () {}, info () {}, warn: printRedisError, error: printRedisError }

async function main (): Promise<number> {
  let config, intervalMs
  try {
    config = loadConfig(process.env)
    intervalMs = intervalFromEnv(process.env.NOTIFY_INTERVAL_MS)
  } catch (error) {
    console.error((error as Error).message)
    return 2
  }
  const url = config.REDIS_URL ?? 'redis://127.0.0.1:6379'
  let redis
  try {
    redis = await openRedis(url, { connectionName: 'flc:random-notifications', maxRetriesPerRequest: 2 }, cliLogger, 'publisher', 'Start Redis (e.g. docker run -p 6379:6379 redis) or point REDIS_URL at one.')
    connected = true
  } catch (error) {
    console.error((error as Error).message)
    return 1
  }
  const store = new RedisChannelStore(redis, config.CHANNEL_PREFIX, config.LIVE_HISTORY_SIZE)
  const channel = config.CHANNEL_PREFIX + CHANNEL
  console.log(`Publishing a random notification every ${intervalMs} ms to ${channel} on ${redactRedisUrl(url)} (Ctrl-C to stop)`)

  let timer: NodeJS.Timeout | undefined
  let stopping = false
  const publishOne = async (): Promise<void> => {
    const notification = randomNotification()
    try {
      const id = await store.publish(CHANNEL, JSON.stringify(notification))
      if (!stopping) console.log(`Published ${id}: ${JSON.stringify(notification)}`)
    } catch (error) {
      if (!stopping) console.error(`Publish failed (will retry in ${intervalMs} ms): ${(error as Error).message}`)
    }
    if (!stopping) timer = setTimeout(next, intervalMs)
  }
  // publishOne handles its own errors; this only guards against a bug in it.
  const next = () => { publishOne().catch((error: unknown) => console.error(error)) }

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      clearTimeout(timer)
      console.log(`${signal}: stopped notification publisher`)
      resolve()
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  next()
  await stopped
  await closeRedis(redis)
  return 0
}

process.exitCode = await main()
