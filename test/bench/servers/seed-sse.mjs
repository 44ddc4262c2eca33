// Baseline (a): the seed's design, mirrored in Node so it runs behind the same load client.
// Per connected client: its own Redis pub/sub connection, and a poll loop shaped like the
// seed's `get_message(ignore_subscribe_messages=True, timeout=1)` followed by
// `asyncio.sleep(0.1)`; each message is JSON-parsed and rendered once PER CLIENT, and the
// SSE message has its newlines stripped. Kept faithful on purpose: this is what users have.
// (Flaw 3, closing the shared client on any disconnect, is not mirrored: it would break the
// other clients of the benchmark instead of measuring the design's cost.)
// Env: PORT, HOST, REDIS_URL, CHANNEL_PREFIX.
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { channelName, renderNotification, seedSseMessage } from './notification.mjs'

const port = Number(process.env.PORT ?? 3101)
const host = process.env.HOST ?? '127.0.0.1'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const channel = channelName(process.env)
const streams = new Set()

/** pubsub.get_message(timeout): the next buffered message, or null after `timeoutMs`. */
function messageReader (redis) {
  const buffered = []
  let wake = null
  redis.on('message', (_channel, raw) => { buffered.push(raw); wake?.() })
  return {
    next (timeoutMs, isOpen) {
      if (buffered.length > 0) return Promise.resolve(buffered.shift())
      return new Promise((resolve) => {
        const timer = setTimeout(done, timeoutMs)
        function done () {
          clearTimeout(timer)
          wake = null
          resolve(isOpen() && buffered.length > 0 ? buffered.shift() : null)
        }
        wake = done
      })
    },
    wakeUp () { wake?.() }
  }
}

async function streamNotifications (req, res) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  const reader = messageReader(redis)
  const stream = { res, open: true, stop: () => { stream.open = false; reader.wakeUp() } }
  streams.add(stream)
  res.on('close', stream.stop)
  try {
    await redis.subscribe(channel)
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.flushHeaders()
    while (stream.open) {
      const raw = await reader.next(1000, () => stream.open)
      if (raw !== null) {
        const notification = JSON.parse(raw) // a bad message ends the stream, as in the seed
        res.write(seedSseMessage(notification.id, 'notification', renderNotification(notification)))
      }
      await sleep(100)
    }
  } catch (error) {
    if (stream.open) console.error('seed stream ended:', error.message)
  } finally {
    streams.delete(stream)
    redis.disconnect()
    res.end()
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' || req.url.split('?')[0] !== '/notification/') {
    res.writeHead(404).end()
    return
  }
  streamNotifications(req, res)
})
server.listen({ port, host, backlog: 4096 })

process.once('SIGTERM', () => {
  for (const stream of streams) { stream.stop(); stream.res.destroy() }
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
})
