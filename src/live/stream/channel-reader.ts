// The one per-connection replay path: how one SSE connection reads one channel, on a
// component's own route (one channel, its frames as they are) and on a page stream (several
// channels, the page's cursor framing). Only the framing differs; it is passed in.
//
// Connecting with a last id: the reader is attached to the channel's dispatch first with its
// live messages held back, then the history after its id is read and sent, then the held
// messages; ids already sent are skipped, so nothing is lost and nothing repeats. When the id
// cannot be continued from the reader gets a reset instead, positioned at the seam (the newest
// id dispatched when it was attached), and continues live.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HistoryRead, LiveLogger } from '../broker/broker.js'
import { compareIds, isValidId } from '../broker/ids.js'
import { SSE_HEADERS, type SseConnection } from './sse-connection.js'

/** A message of a replay: its id and encoded frame (null: render rejected it). */
export interface ReplayFrame {
  id: string
  frame: Buffer | null
}

/**
 * Why a reader got a reset instead of a replay: its id was trimmed from the bounded history
 * (too-old), Redis lost the history after it (lost), it is in no history (unknown), or it is
 * not an id at all (malformed).
 */
export type ResetReason = 'too-old' | 'lost' | 'unknown' | 'malformed'

/** The reason of an incomplete history read. */
export function resetReasonOf (history: HistoryRead): ResetReason {
  if (history.gap === 'lost') return 'lost'
  return history.messages.length > 0 ? 'too-old' : 'unknown'
}

/** What a reader needs of the channel it reads (ChannelFanout). */
export interface ReadableChannel {
  readonly channel: string
  /** Newest id dispatched: everything after it reaches an attached reader. */
  readonly seam: string | null
  /** The history read and the frames a reader at `after` is replayed (see ChannelFanout). */
  replayFrom (after: string): Promise<{ history: HistoryRead, frames: ReplayFrame[] }>
}

/**
 * Scratch shared by every reader of one dispatched message, built by the framing's newMemo()
 * (page streams: the frames per cursor, PageFrames) and dropped after the dispatch.
 */
export type DispatchMemo = object

/**
 * How a reader's events are written on its connection. Every write moves the position (the id
 * the browser resumes this channel from) to the message written; false/null: not written (the
 * connection is gone or was evicted).
 */
export interface StreamFraming {
  readonly connection: SseConnection
  /**
   * Framings that share work across the readers of one message (page streams) give the memo
   * factory: the channel builds one memo per message while such a reader is attached.
   */
  readonly newMemo?: () => DispatchMemo
  position (): string | null
  setPosition (id: string | null): void
  write (id: string, frame: Buffer): boolean
  /** The live fan-out path; memo is shared by every reader of one dispatch. */
  writeShared (id: string, frame: Buffer, memo: DispatchMemo): boolean
  /** A replay write, resolved once flushed to the socket. */
  writeTracked (id: string, frame: Buffer): Promise<void> | null
  /** The reset event; the position moves to `since` (empty: forget the bad id). */
  writeReset (reason: ResetReason, since: string | null): void
}

/** Counters a reader adds to (its channel's on an own route, the page streams' on pages). */
export interface DeliveryCounters {
  /** Frames written (one message to ten browsers counts ten), replays included. */
  delivered: number
  /** Of those, frames written from history during replays. */
  replayed: number
  /** Resets sent, by reason. */
  resets: Record<string, number>
}

export interface ReaderHost {
  readonly logger: LiveLogger
  /** SSE_MAX_QUEUE_BYTES: bounds the socket queue and the frames held during a replay. */
  readonly maxQueueBytes: number
}

export function bump (counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

/**
 * The id a stream resumes from: the Last-Event-ID header, else ?lastEventId= (htmx-ext-sse
 * rebuilds a failed EventSource without the header: pages keep it in the URL).
 */
export function requestedLastEventId (request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id']
  if (typeof header === 'string' && header !== '') return header
  const fromQuery = (request.query as Record<string, unknown> | null | undefined)?.lastEventId
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined
}

/** Fastify adds HEAD for every GET route; a HEAD "stream" would never carry anything. True when answered. */
export async function answeredHead (request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (request.method !== 'HEAD') return false
  await reply.headers(SSE_HEADERS).send()
  return true
}

export class ChannelReader {
  /** True while the position may be newer than what the channel dispatches next (after a replay). */
  private ahead = false
  /** Live frames waiting while history is being sent; null once live. */
  private held: Array<{ id: string, frame: Buffer | null }> | null = null
  private heldBytes = 0

  constructor (
    readonly source: ReadableChannel,
    readonly framing: StreamFraming,
    private readonly counters: DeliveryCounters,
    private readonly host: ReaderHost
  ) {}

  /** A dispatched message (frame null: render rejected it), in id order. */
  deliver (id: string, frame: Buffer | null, memo: DispatchMemo | undefined): void {
    if (this.held !== null) {
      this.held.push({ id, frame })
      this.heldBytes += frame?.length ?? 0
      // Held frames count against the same bound as the socket queue.
      if (this.heldBytes > this.host.maxQueueBytes) this.framing.connection.evict()
    } else if (this.ahead) {
      this.sendOnce(id, frame)
    } else if (frame !== null) {
      const written = memo === undefined ? this.framing.write(id, frame) : this.framing.writeShared(id, frame, memo)
      if (written) this.counters.delivered++
    }
  }

  /** Live only: positioned at the seam it was attached at (the caller writes the position). */
  startLive (since: string | null): void {
    this.framing.setPosition(since)
  }

  /** Replays the channel after `requested` (a position from the browser) or resets it, then goes live. */
  async resume (requested: string, since: string | null): Promise<void> {
    if (!isValidId(requested)) {
      this.reset('malformed', since)
      return
    }
    const { connection } = this.framing
    this.held = []
    let history, frames
    try {
      ({ history, frames } = await this.source.replayFrom(requested))
    } catch (error) {
      // The browser keeps its position and tries again after the retry interval.
      this.host.logger.error({ err: error, channel: this.source.channel }, 'reading live history failed; closing the stream')
      connection.end()
      return
    }
    if (connection.closed) return
    if (!history.complete) {
      this.reset(resetReasonOf(history), since)
      return
    }
    this.framing.setPosition(requested)
    if (await this.replay(frames)) this.goLive()
  }

  /**
   * Writes the history frames the reader lacks. A long history may not fit the queue bound at
   * once: a browser that reads gets it in steps (its live messages are held meanwhile, under
   * the same bound). False when the connection ended on the way.
   */
  private async replay (frames: readonly ReplayFrame[]): Promise<boolean> {
    const { connection } = this.framing
    let flushed: Promise<void> | null = null
    for (const { id, frame } of frames) {
      if (flushed !== null && connection.queuedBytes > this.host.maxQueueBytes / 2) await flushed
      if (connection.closed) return false
      const position = this.framing.position()
      if (frame === null || (position !== null && compareIds(id, position) <= 0)) continue
      flushed = this.framing.writeTracked(id, frame)
      if (flushed === null) return false
      this.counters.delivered++
      this.counters.replayed++
    }
    return true
  }

  private reset (reason: ResetReason, since: string | null): void {
    bump(this.counters.resets, reason)
    // Moved to the seam, so the browser's next reconnect replays from here instead of getting
    // another reset.
    this.framing.writeReset(reason, since)
    this.goLive()
  }

  /** Writes a frame unless the reader already has that id. */
  private sendOnce (id: string, frame: Buffer | null): void {
    const position = this.framing.position()
    if (position !== null && compareIds(id, position) <= 0) return
    this.ahead = false
    if (frame !== null && this.framing.write(id, frame)) this.counters.delivered++
  }

  /** Sends what was held during the replay, then lets dispatch write directly. */
  private goLive (): void {
    const held = this.held ?? []
    this.held = null
    this.heldBytes = 0
    for (const { id, frame } of held) this.sendOnce(id, frame)
    const position = this.framing.position()
    const seam = this.source.seam
    // History can be ahead of dispatch (Redis: stored before its envelope arrived here).
    this.ahead = position !== null && (seam === null || compareIds(position, seam) > 0)
  }
}
