// Baseline (b), the practical ceiling: a bare node:http SSE server with ONE Redis
// subscription per process. Each message is rendered once, encoded once into a Buffer,
// and that same Buffer is written to every client. No framework, no queues, no history.
// Env: PORT, HOST, REDIS_URL, CHANNEL_PREFIX, SSE_HEARTBEAT_MS.
import http from 'node:http'
import { Redis } from 'ioredis'
import { channelName, isPlainColor, renderNotification, sseFrame } from './notification.mjs'

const port = Number(process.env.PORT ?? 3100)
const host = process.env.HOST ?? '127.0.0.1'
const heartbeatMs = Number(process.env.SSE_HEARTBEAT_MS ?? 20_000)
const channel = channelName(process.env)

const clients = new Set()
let nextId = 0
const HEARTBEAT = Buffer.from(':\n\n')

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' || req.url.split('?')[0] !== '/notification/') {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no'
  })
  res.write(':ok\n\n') // sends the headers now
  clients.add(res)
  res.on('close', () => clients.delete(res))
})

const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
subscriber.on('error', (error) => console.error('redis:', error.message))
subscriber.on('message', (_channel, raw) => {
  let notification
  try { notification = JSON.parse(raw) } catch { return }
  if (!isPlainColor(notification?.color)) return
  const frame = Buffer.from(sseFrame(++nextId, 'notification', renderNotification(notification)))
  for (const res of clients) res.write(frame)
})

const heartbeat = setInterval(() => { for (const res of clients) res.write(HEARTBEAT) }, heartbeatMs)

await subscriber.subscribe(channel)
server.listen({ port, host, backlog: 4096 })

process.once('SIGTERM', () => {
  clearInterval(heartbeat)
  subscriber.disconnect()
  for (const res of clients) res.destroy()
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
})
