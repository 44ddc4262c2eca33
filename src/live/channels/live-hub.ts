// All live streams of one process: creates channels, owns the one heartbeat timer shared by
// every connection, and ends every stream on shutdown.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { Broker, LiveLogger } from '../broker/broker.js'
import { ChannelFanout, type FanoutHost, type LiveChannel, type LiveChannelOptions, type LiveChannelStats } from './live-channel.js'
import { SseConnection } from '../stream/sse-connection.js'
import { encodeComment } from '../stream/sse-frame.js'
import { StreamLimits, type StreamLimitStats } from '../stream/stream-limits.js'
import { defaultStreamsMax } from '../../util/open-files.js'

export interface LiveHubOptions {
  broker: Broker
  logger: LiveLogger
  /** SSE_HEARTBEAT_MS: interval of the ": ping" comment sent to every stream. */
  heartbeatMs: number
  /** SSE_RETRY_MS: reconnect delay announced to browsers. */
  retryMs: number
  /** SSE_MAX_QUEUE_BYTES: unsent bytes allowed per browser before it is disconnected. */
  maxQueueBytes: number
  /** Rendered frames kept per channel for replays (default: LIVE_HISTORY_SIZE capped at 10000). */
  frameCacheEntries?: number
  /** Byte budget of that cache per channel (default 4 MiB). */
  frameCacheBytes?: number
  /** STREAMS_PER_CLIENT: concurrent streams per client address (default 100). */
  streamsPerClient?: number
  /** STREAMS_MAX: concurrent streams of the process (default 80% of the open-file limit). */
  streamsMax?: number
}

export interface LiveHubStats {
  /** Open SSE connections, all channels together. */
  clients: number
  /** Whether the shared heartbeat timer is running (it only runs while clients are connected). */
  heartbeat: boolean
  channels: LiveChannelStats[]
  /** Stream admission: open streams, caps, refusals. */
  limits: StreamLimitStats
}

export interface Live {
  /** Declares a live channel; call once per (channel, event), at start-up. */
  channel (options: LiveChannelOptions): LiveChannel
  /** Newest message id of a channel, or null: render it into the page's ?lastEventId=. */
  lastId (channel: string): Promise<string | null>
  stats (): LiveHubStats
}

export class LiveHub implements Live, FanoutHost {
  readonly broker: Broker
  readonly logger: LiveLogger
  readonly maxQueueBytes: number
  readonly frameCacheEntries: number
  readonly frameCacheBytes: number
  private readonly connections = new Set<SseConnection>()
  private readonly channels = new Map<string, ChannelFanout>()
  private readonly ping = encodeComment('ping')
  private heartbeat: NodeJS.Timeout | null = null
  private isClosing = false
  private started = false
  private readonly limits: StreamLimits

  constructor (private readonly options: LiveHubOptions) {
    this.broker = options.broker
    this.logger = options.logger
    this.maxQueueBytes = options.maxQueueBytes
    this.frameCacheEntries = options.frameCacheEntries ?? 10_000
    this.frameCacheBytes = options.frameCacheBytes ?? 4 * 1024 * 1024
    this.limits = new StreamLimits({
      perClient: options.streamsPerClient ?? 100,
      max: options.streamsMax ?? defaultStreamsMax(),
      retryAfterSeconds: Math.max(1, Math.ceil(options.retryMs / 1000)),
      logger: options.logger
    })
  }

  /**
   * The guard every stream route calls first (before any await): takes a slot for the client's
   * address (request.ip: X-Forwarded-For only from TRUST_PROXY), held until the response closes.
   * Throws StreamsPerClientError (429) or StreamsMaxError (503), with retryAfterSeconds, when over a cap.
   */
  admit (request: FastifyRequest, reply: FastifyReply): void {
    const release = this.limits.acquire(request.ip)
    const res = reply.raw
    if (res.destroyed) release()
    else res.once('close', release)
  }

  get closing (): boolean {
    return this.isClosing
  }

  channel (options: LiveChannelOptions): LiveChannel {
    const key = `${options.channel}\n${options.event}`
    if (this.channels.has(key)) {
      // A second call usually means channel() was put inside a request handler.
      throw new Error(`live.channel: channel "${options.channel}" with event "${options.event}" is already declared; create it once at start-up and reuse the returned object`)
    }
    const channel = new ChannelFanout(this, options)
    this.channels.set(key, channel)
    if (this.started) channel.subscribed().catch((error: unknown) => this.logger.error({ err: error, channel: options.channel }, 'live channel could not subscribe'))
    return channel
  }

  /**
   * Subscribes every declared channel (the app's onReady). A process must listen from the
   * start, not from its first browser: with Redis, the processes that listen are the ones that
   * store plain PUBLISHes in the history, and a server without browsers is still one of them.
   */
  async start (): Promise<void> {
    this.started = true
    await Promise.all([...this.channels.values()].map((channel) => channel.subscribed()))
  }

  /** The declared channel of that name (the first one declared, when several events share it). */
  declared (channel: string): ChannelFanout | undefined {
    for (const fanout of this.channels.values()) if (fanout.channel === channel) return fanout
    return undefined
  }

  lastId (channel: string): Promise<string | null> {
    return this.broker.lastId(channel)
  }

  open (res: ServerResponse): SseConnection {
    const connection = new SseConnection(res, this.maxQueueBytes, this.options.retryMs)
    if (connection.closed) return connection
    this.connections.add(connection)
    this.heartbeat ??= setInterval(() => this.beat(), this.options.heartbeatMs).unref()
    connection.onClose(() => {
      this.connections.delete(connection)
      if (this.connections.size === 0 && this.heartbeat !== null) {
        clearInterval(this.heartbeat)
        this.heartbeat = null
      }
    })
    return connection
  }

  stats (): LiveHubStats {
    return {
      clients: this.connections.size,
      heartbeat: this.heartbeat !== null,
      channels: [...this.channels.values()].map((channel) => channel.stats()),
      limits: this.limits.stats()
    }
  }

  /** First step of shutdown (preClose): refuse new streams, end the open ones. */
  endStreams (): void {
    this.isClosing = true
    for (const connection of [...this.connections]) connection.end()
  }

  /** Second step (onClose): drop the broker subscriptions. */
  async close (): Promise<void> {
    this.endStreams()
    await Promise.all([...this.channels.values()].map((channel) => channel.stop()))
  }

  private beat (): void {
    // The same Buffer for everyone; a client too slow to take a ping is evicted like any other.
    for (const connection of this.connections) connection.write(this.ping)
  }
}
