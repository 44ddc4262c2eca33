// One live channel in one process: a single broker subscription, each message rendered and
// encoded once, the same Buffer written to every connected browser.
//
// Every connection reading the channel, on its own route or on a page stream, is a
// ChannelReader (channel-reader.ts: hold, replay, reset, go live); only its framing differs.
// A channel whose every message replaces the last (replay: 'latest', e.g. a count) is replayed
// only its newest message: after a long absence, one frame instead of hundreds.
// No render without a reader: a message arriving while no browser of this process reads the
// channel is not rendered (a count query per write on a server nobody watches), only counted
// (unread) and its id taken as the seam. A page connecting later has it from its page render,
// or replays it from history, rendered then on demand (and cached for the next ones).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import { assertChannelName, type Broker, type BrokerMessage, type HistoryRead, type LiveLogger, type Unsubscribe } from '../broker/broker.js'
import { answeredHead, bump, ChannelReader, requestedLastEventId, type DispatchMemo, type ReadableChannel, type ReplayFrame } from '../stream/channel-reader.js'
import { ChannelFraming } from '../stream/channel-framing.js'
import { FrameCache } from './frame-cache.js'
import { compareIds, ORIGIN_ID } from '../broker/ids.js'
import { judge, LiveDrop, type LiveRender } from './render-outcome.js'
import type { SseConnection } from '../stream/sse-connection.js'
import { encodeEvent, encodeIdOnly, isValidEventName } from '../stream/sse-frame.js'
import { LatencyHistogram, type LatencySnapshot } from '../../util/latency-histogram.js'
import { ServiceUnavailableError } from '../../errors.js'

export interface LiveChannelOptions {
  /** Broker channel (CHANNEL_PREFIX is added by the broker), e.g. "notifications_channel". */
  channel: string
  /** SSE event name of rendered messages, e.g. "notification" (htmx: sse-swap="notification"). */
  event: string
  render: LiveRender
  /** SSE event name sent when the client's last id cannot be continued from. Default "reset". */
  resetEvent?: string
  /**
   * What a returning client is replayed. "all" (default): every message it missed (items of a
   * feed). "latest": only the newest, for channels whose every message replaces the last (a
   * re-rendered component); a history trimmed below the client's id is then no reason to reset.
   */
  replay?: ReplayMode
}

export type ReplayMode = 'all' | 'latest'

export type { ReplayFrame, ResetReason } from '../stream/channel-reader.js'

export interface LiveChannelStats {
  channel: string
  event: string
  /** Connected browsers. */
  clients: number
  /** Messages received from the broker. */
  messages: number
  /** Frames written to browsers (one message to ten browsers counts ten). */
  delivered: number
  /** Frames written from history during replays. */
  replayed: number
  /** Messages not rendered because no browser of this process read the channel then. */
  unread: number
  /** Messages whose render was rejected, by reason. */
  dropped: Record<string, number>
  /** Browsers disconnected for not reading fast enough. */
  evicted: number
  /** Reset events sent, by reason. */
  resets: Record<string, number>
  /** Time render() took per message (until its promise settled, for async renders). */
  renderSeconds: LatencySnapshot
  /** Time from a message's id timestamp (when the broker stored it) to its arrival here. */
  deliveryLagSeconds: LatencySnapshot
}

export interface LiveChannel {
  readonly channel: string
  readonly event: string
  /** Fastify handler for the SSE GET route. */
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** Newest message id of the channel (for pages: render it into ?lastEventId=), or null. */
  lastId (): Promise<string | null>
  /** Publishes a payload on this channel through the broker; resolves with its id. */
  publish (payload: string): Promise<string>
  stats (): LiveChannelStats
}

/** What a fanout needs from the LiveHub that owns it. */
export interface FanoutHost {
  readonly broker: Broker
  readonly logger: LiveLogger
  readonly closing: boolean
  readonly maxQueueBytes: number
  readonly frameCacheEntries: number
  readonly frameCacheBytes: number
  /** Stream admission (limits per address and per process); throws when refused. */
  admit (request: FastifyRequest, reply: FastifyReply): void
  open (res: ServerResponse): SseConnection
}

function isThenable<T> (value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

export { ServiceUnavailableError }

export class ChannelFanout implements LiveChannel, ReadableChannel {
  readonly channel: string
  readonly event: string
  readonly replayMode: ReplayMode
  private readonly resetEvent: string
  private readonly render: LiveRender
  /** Every connection reading this channel: own-route browsers and page streams. */
  private readonly readers = new Set<ChannelReader>()
  /** Of those, own-route browsers (stats). */
  private clients = 0
  /** Readers whose framing shares work per message (page streams), and its memo factory. */
  private sharing = 0
  private newMemo: (() => DispatchMemo) | undefined
  private readonly cache: FrameCache
  /** Newest id dispatched to clients (or the channel's newest id when the subscription began). */
  private lastDispatchedId: string | null = null
  private subscription: Promise<void> | null = null
  private unsubscribe: Unsubscribe | null = null
  /** Messages waiting for an async render; dispatch stays in id order. */
  private rendering = 0
  private renderQueue: Promise<void> = Promise.resolve()
  private readonly counters = { messages: 0, unread: 0, delivered: 0, replayed: 0, evicted: 0, dropped: {} as Record<string, number>, resets: {} as Record<string, number> }
  private readonly renderTime = new LatencyHistogram()
  private readonly deliveryLag = new LatencyHistogram()

  constructor (private readonly host: FanoutHost, options: LiveChannelOptions) {
    assertChannelName(options.channel)
    if (typeof options.render !== 'function') throw new TypeError(`live.channel(${options.channel}): render must be a function (payload: string) => string`)
    for (const [what, name] of [['event', options.event], ['resetEvent', options.resetEvent ?? 'reset']] as const) {
      if (!isValidEventName(name)) throw new TypeError(`live.channel(${options.channel}): ${what} ${JSON.stringify(name)} must be 1-100 letters, digits or _ . : -`)
    }
    if (options.replay !== undefined && options.replay !== 'all' && options.replay !== 'latest') {
      throw new TypeError(`live.channel(${options.channel}): replay must be "all" or "latest"`)
    }
    this.channel = options.channel
    this.event = options.event
    this.replayMode = options.replay ?? 'all'
    this.resetEvent = options.resetEvent ?? 'reset'
    this.render = options.render
    this.cache = new FrameCache(host.frameCacheEntries, host.frameCacheBytes)
  }

  /** The SSE route: admit, attach a reader, then live only, a reset, or a replay followed by live. */
  readonly handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (await answeredHead(request, reply)) return
    this.host.admit(request, reply)
    const requested = requestedLastEventId(request)
    await this.subscribed()
    if (this.host.closing) throw new ServiceUnavailableError('The server is shutting down')
    reply.hijack()
    const connection = this.host.open(reply.raw)
    const reader = new ChannelReader(this, new ChannelFraming(connection, this.resetEvent), this.counters, this.host)
    // Everything dispatched after the seam reaches the reader.
    const since = this.seam
    this.addReader(reader)
    this.clients++
    connection.onClose((reason) => {
      this.removeReader(reader)
      this.clients--
      if (reason === 'evicted') this.counters.evicted++
    })
    if (connection.closed) return
    if (requested !== undefined) {
      await reader.resume(requested, since)
      return
    }
    // Live only; still gives the browser a position so its next reconnect can replay.
    reader.startLive(since)
    if (since !== null) connection.write(encodeIdOnly(since))
  }

  /**
   * What a client at `after` is replayed: the history read (not complete: the caller resets the
   * client) and the frames to send, in id order: every message's, or for a "latest" channel the
   * newest one that renders (each replaces the last, so it alone is the state).
   */
  async replayFrom (after: string): Promise<{ history: HistoryRead, frames: ReplayFrame[] }> {
    const { broker } = this.host
    if (this.replayMode === 'all') {
      const history = await broker.readAfter(this.channel, after)
      return { history, frames: history.complete ? await this.framesOf(history.messages) : [] }
    }
    let history = await broker.readLatest(this.channel, after)
    if (!history.complete) {
      // The client's position is not in this history (a restart of the in-process broker, a
      // history Redis lost) but the newest message is the whole state: send it instead of a
      // reset, after which the component would stay stale until its next change. Not for a
      // position ahead of the newest (forged, or another server's): that still gets its reset.
      const newest = await broker.readLatest(this.channel, ORIGIN_ID)
      const candidate = newest.messages.at(-1)
      if (candidate === undefined || compareIds(candidate.id, after) <= 0) return { history, frames: [] }
      history = { messages: [candidate], complete: true }
    }
    const frames = await this.framesOf(history.messages)
    if (frames.length === 0 || frames[0]!.frame !== null) return { history, frames }
    // Render rejected the newest message: the newest one it accepts stands for the state.
    const older = (await broker.readAfter(this.channel, after)).messages
    for (let i = older.length - 1; i >= 0; i--) {
      const [candidate] = await this.framesOf([older[i]!])
      if (candidate!.frame !== null) return { history, frames: [candidate!] }
    }
    return { history, frames: [] }
  }

  private async framesOf (messages: readonly BrokerMessage[]): Promise<ReplayFrame[]> {
    const frames: ReplayFrame[] = []
    for (const message of messages) {
      const frame = this.frameFor(message)
      frames.push({ id: message.id, frame: isThenable(frame) ? await frame : frame })
    }
    return frames
  }

  async lastId (): Promise<string | null> {
    return this.host.broker.lastId(this.channel)
  }

  publish (payload: string): Promise<string> {
    return this.host.broker.publish(this.channel, payload)
  }

  stats (): LiveChannelStats {
    return {
      channel: this.channel,
      event: this.event,
      clients: this.clients,
      messages: this.counters.messages,
      unread: this.counters.unread,
      delivered: this.counters.delivered,
      replayed: this.counters.replayed,
      dropped: { ...this.counters.dropped },
      evicted: this.counters.evicted,
      resets: { ...this.counters.resets },
      renderSeconds: this.renderTime.snapshot(),
      deliveryLagSeconds: this.deliveryLag.snapshot()
    }
  }

  /** Newest id dispatched: a reader added now receives everything after it. */
  get seam (): string | null {
    return this.lastDispatchedId
  }

  /** Connected browsers plus page streams carrying the channel. */
  get audience (): number {
    return this.readers.size
  }

  addReader (reader: ChannelReader): void {
    this.readers.add(reader)
    if (reader.framing.newMemo !== undefined) {
      this.sharing++
      this.newMemo = reader.framing.newMemo
    }
  }

  removeReader (reader: ChannelReader): void {
    if (this.readers.delete(reader) && reader.framing.newMemo !== undefined) this.sharing--
  }

  /** Ends the broker subscription (app close). */
  async stop (): Promise<void> {
    const unsubscribe = this.unsubscribe
    this.unsubscribe = null
    if (unsubscribe !== null) await unsubscribe()
  }

  /** The one broker subscription of this channel, started when the app is ready (or by the first client), kept until close. */
  subscribed (): Promise<void> {
    this.subscription ??= this.startSubscription().catch((error: unknown) => {
      this.subscription = null // the next client tries again
      throw new ServiceUnavailableError(`Live channel ${this.channel} is unavailable: ${(error as Error).message}`, { cause: error })
    })
    return this.subscription
  }

  private async startSubscription (): Promise<void> {
    const unsubscribe = await this.host.broker.subscribe(this.channel, (message) => this.receive(message))
    if (this.host.closing) {
      await unsubscribe()
      throw new Error('the server is shutting down')
    }
    this.unsubscribe = unsubscribe
    // No client is attached yet; start the seam at the newest stored id.
    const newest = await this.host.broker.lastId(this.channel)
    if (newest !== null && (this.lastDispatchedId === null || compareIds(newest, this.lastDispatchedId) > 0)) {
      this.lastDispatchedId = newest
    }
  }

  private receive (message: BrokerMessage): void {
    this.counters.messages++
    // Ids are "<ms>-<seq>", the ms taken by the broker when it stored the message (Redis: the
    // Redis server's clock; on one host, or NTP-synced hosts, comparable with ours).
    this.deliveryLag.observe((Date.now() - Number.parseInt(message.id, 10)) / 1000)
    if (this.rendering === 0) {
      if (this.audience === 0) {
        this.skipUnread(message.id)
        return
      }
      const frame = this.frameFor(message)
      if (!isThenable(frame)) {
        this.dispatch(message.id, frame)
        return
      }
      this.rendering++
      this.renderQueue = frame.then((f) => this.dispatch(message.id, f)).finally(() => { this.rendering-- })
      return
    }
    // An earlier message is still rendering: queue behind it to keep id order.
    this.rendering++
    this.renderQueue = this.renderQueue.then(async () => {
      if (this.audience === 0) {
        this.skipUnread(message.id)
        return
      }
      const frame = this.frameFor(message)
      this.dispatch(message.id, isThenable(frame) ? await frame : frame)
    }).finally(() => { this.rendering-- })
  }

  /**
   * Nobody here reads the channel: the message only moves the seam (a browser attaching next
   * starts after it, having it from its page or from a replay, which renders it then).
   */
  private skipUnread (id: string): void {
    this.counters.unread++
    if (this.lastDispatchedId === null || compareIds(id, this.lastDispatchedId) > 0) this.lastDispatchedId = id
  }

  /** The encoded frame of a message (cached), or null when render rejected it. Never rejects. */
  private frameFor (message: BrokerMessage): Buffer | null | Promise<Buffer | null> {
    const cached = this.cache.get(message.id)
    if (cached !== undefined) return cached
    let outcome
    const started = performance.now()
    try {
      outcome = this.render(message.payload)
    } catch (error) {
      this.renderTime.since(started)
      return this.settle(message, error, true)
    }
    if (isThenable(outcome)) {
      return Promise.resolve(outcome).then(
        (value) => { this.renderTime.since(started); return this.settle(message, value, false) },
        (error: unknown) => { this.renderTime.since(started); return this.settle(message, error, true) })
    }
    this.renderTime.since(started)
    return this.settle(message, outcome, false)
  }

  private settle (message: BrokerMessage, outcome: unknown, thrown: boolean): Buffer | null {
    const cached = this.cache.get(message.id) // an async render raced with another one
    if (cached !== undefined) return cached
    const judgement = judge(outcome, thrown)
    let frame: Buffer | null = null
    if ('html' in judgement) {
      frame = encodeEvent({ id: message.id, event: this.event, data: judgement.html })
    } else {
      bump(this.counters.dropped, judgement.reason)
      // A deliberate drop (bad input) is routine: its reason and detail, no stack trace per
      // message. Anything else thrown is a bug in the render function: log it whole.
      const why = judgement.error instanceof LiveDrop ? { detail: judgement.error.detail } : { err: judgement.error }
      this.host.logger.warn({ channel: this.channel, id: message.id, reason: judgement.reason, ...why }, 'live message dropped: render rejected it')
    }
    this.cache.set(message.id, frame)
    return frame
  }

  private dispatch (id: string, frame: Buffer | null): void {
    if (this.lastDispatchedId !== null && compareIds(id, this.lastDispatchedId) <= 0) return
    this.lastDispatchedId = id
    // Page streams share each frame per cursor: one memo per message, only when one reads.
    const memo = this.sharing > 0 ? this.newMemo?.() : undefined
    for (const reader of this.readers) reader.deliver(id, frame, memo)
  }
}
