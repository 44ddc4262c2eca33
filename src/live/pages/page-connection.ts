// One browser's page stream: a single SSE connection carrying several channels. Each channel
// is read by a ChannelReader attached to that channel's fanout (ChannelFanout), so a message is still rendered and
// encoded once per process. Every event ends with "id: <cursor>", the positions of all the
// page's channels (see page-cursor.ts), so the bytes differ per cursor, not per page: pages
// whose cursor was the same before a message have the same one after it, and share one
// prebuilt frame (body and id line, one Buffer, one write each, as on a component's own route).
// The frames of one message are kept in a PageFrames memo, keyed by channel index and the
// page's cursor before it; each page keeps its cursor as a string, rebuilt only when a position
// moves some other way (a replay, a reset, the start).
//
// Each channel of the page is read by a ChannelReader (channel-reader.ts), the same hold /
// replay / reset / go-live path as a component's own route; PageChannelFraming is its framing.
// What a channel replays (every message, or only the newest) is its fanout's choice.
import type { LiveLogger } from '../broker/broker.js'
import { ChannelReader, type DeliveryCounters, type DispatchMemo, type ReadableChannel, type ResetReason, type StreamFraming } from '../stream/channel-reader.js'
import { formatCursor } from './page-cursor.js'
import type { SseConnection } from '../stream/sse-connection.js'
import { PageFrames } from './page-frames.js'

export interface PageStreamStats extends DeliveryCounters {
  /** Open page streams. */
  connections: number
  /** Frames written to page streams (one message to ten pages counts ten). */
  delivered: number
  /** Of those, frames written from history during replays. */
  replayed: number
  /** Channel resets sent, by reason. */
  resets: Record<string, number>
  /** Stream or renewal requests refused (403), by reason. */
  refused: Record<string, number>
  /** Page streams disconnected for not reading fast enough. */
  evicted: number
}

export function emptyPageStats (): PageStreamStats {
  return { connections: 0, delivered: 0, replayed: 0, resets: {}, refused: {}, evicted: 0 }
}

// The page form of a channel frame: "event: <channel>" and its data lines, without the id and
// the closing blank line (the connection's tail ends the event). Built once per frame.
const bodies = new WeakMap<Buffer, Buffer>()
const NEWLINE = 10

function pageBody (frame: Buffer, channel: string): Buffer {
  let body = bodies.get(frame)
  if (body === undefined) {
    // A channel frame is "id: …\nevent: …\n" + data lines + "\n" (encodeEvent).
    const afterId = frame.indexOf(NEWLINE) + 1
    const afterEvent = frame.indexOf(NEWLINE, afterId) + 1
    body = Buffer.concat([Buffer.from(`event: ${channel}\n`), frame.subarray(afterEvent, frame.length - 1)])
    bodies.set(frame, body)
  }
  return body
}

export interface PageHost {
  readonly logger: LiveLogger
  readonly maxQueueBytes: number
  readonly stats: PageStreamStats
}

export class PageConnection {
  /** One per channel, in the token's order. */
  readonly readers: ChannelReader[]
  /** Newest id written per channel (the cursor); change it through setPosition(). */
  readonly positions: Array<string | null>
  /** formatCursor(positions), kept up to date. */
  private cursor: string

  private readonly channels: string[]

  constructor (readonly connection: SseConnection, readonly host: PageHost, sources: readonly ReadableChannel[]) {
    this.positions = sources.map(() => null)
    this.cursor = formatCursor(this.positions)
    this.channels = sources.map((source) => source.channel)
    this.readers = sources.map((source, index) => new ChannelReader(source, new PageChannelFraming(this, index), host.stats, host))
  }

  setPosition (index: number, id: string | null): void {
    this.positions[index] = id
    this.cursor = formatCursor(this.positions)
  }

  tail (): string {
    return `id: ${this.cursor}\n\n`
  }

  /** Writes a channel frame; false when the connection is gone or was evicted. */
  write (index: number, id: string, frame: Buffer): boolean {
    this.setPosition(index, id)
    return this.connection.writeWithTail(pageBody(frame, this.channels[index] as string), this.tail())
  }

  /**
   * The live fan-out path: the frame this message makes from this page's cursor, built once
   * for every page with the same cursor (memo) and written as one shared Buffer.
   */
  writeShared (index: number, id: string, frame: Buffer, memo: PageFrames): boolean {
    const before = this.cursor
    let entry = memo.get(index, before)
    if (entry === undefined) {
      this.positions[index] = id
      const cursor = formatCursor(this.positions)
      const body = pageBody(frame, this.channels[index] as string)
      entry = { cursor, frame: Buffer.concat([body, Buffer.from(`id: ${cursor}\n\n`, 'latin1')]) }
      memo.set(index, before, entry)
    }
    this.positions[index] = id
    this.cursor = entry.cursor
    return this.connection.write(entry.frame)
  }

  writeTracked (index: number, id: string, frame: Buffer): Promise<void> | null {
    this.setPosition(index, id)
    return this.connection.writeWithTailTracked(pageBody(frame, this.channels[index] as string), this.tail())
  }

  /** Only the cursor: the browser's lastEventId moves without any event firing. */
  writePosition (): void {
    this.connection.writeWithTail(Buffer.alloc(0), this.tail())
  }

  /** A channel could not be continued from its position: tell the page, move it to `since`. */
  writeReset (index: number, reason: ResetReason, since: string | null): void {
    this.setPosition(index, since)
    const channel = this.channels[index] as string
    this.connection.writeWithTail(Buffer.from(`event: reset\ndata: ${JSON.stringify({ reason, channel })}\n`), this.tail())
  }
}

function newPageFrames (): PageFrames {
  return new PageFrames()
}

/** The page framing of one channel of the page: its place in the cursor, the page's events. */
class PageChannelFraming implements StreamFraming {
  // One PageFrames per dispatched message, shared by every page carrying the channel.
  readonly newMemo = newPageFrames

  constructor (private readonly page: PageConnection, private readonly index: number) {}

  get connection (): SseConnection {
    return this.page.connection
  }

  position (): string | null {
    return this.page.positions[this.index] ?? null
  }

  setPosition (id: string | null): void {
    this.page.setPosition(this.index, id)
  }

  write (id: string, frame: Buffer): boolean {
    return this.page.write(this.index, id, frame)
  }

  writeShared (id: string, frame: Buffer, memo: DispatchMemo): boolean {
    return this.page.writeShared(this.index, id, frame, memo as PageFrames)
  }

  writeTracked (id: string, frame: Buffer): Promise<void> | null {
    return this.page.writeTracked(this.index, id, frame)
  }

  writeReset (reason: ResetReason, since: string | null): void {
    this.page.writeReset(this.index, reason, since)
  }
}
