// One browser's page stream: a single SSE connection carrying several channels. Each channel
// is a member of that channel's dispatch (LiveChannelHub), so a message is still rendered and
// encoded once per process. Every event ends with "id: <cursor>", the positions of all the
// page's channels (see page-cursor.ts), so the bytes differ per cursor, not per page: pages
// whose cursor was the same before a message have the same one after it, and share one
// prebuilt frame (body and id line, one Buffer, one write each, as on a component's own route).
// The frames of one message are kept in a PageFrames memo, keyed by channel index and the
// page's cursor before it; each page keeps its cursor as a string, rebuilt only when a position
// moves some other way (a replay, a reset, the start).
//
// Per channel, the seam logic of the single-channel route: attached first with live messages
// held back, history after the channel's position sent, then the held messages, ids already
// sent skipped: nothing lost, nothing repeated, for every channel of the page. What a channel
// replays (every message, or only the newest) is its hub's choice (LiveChannelHub.replayFrom).
import type { LiveLogger } from './broker.js'
import { compareIds, isValidId } from './ids.js'
import type { ChannelMember, LiveChannelHub } from './live-channel.js'
import { formatCursor } from './page-cursor.js'
import type { SseConnection } from './sse-connection.js'
import type { PageFrames } from './page-frames.js'

export interface PageStreamStats {
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

export function bump (counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
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
  readonly members: PageMember[]
  /** Newest id written per channel (the cursor); change it through setPosition(). */
  readonly positions: Array<string | null>
  /** formatCursor(positions), kept up to date. */
  private cursor: string

  constructor (readonly connection: SseConnection, readonly host: PageHost, hubs: readonly LiveChannelHub[]) {
    this.positions = hubs.map(() => null)
    this.cursor = formatCursor(this.positions)
    this.members = hubs.map((hub, index) => new PageMember(this, index, hub))
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
    const member = this.members[index] as PageMember
    if (!this.connection.writeWithTail(pageBody(frame, member.hub.channel), this.tail())) return false
    this.host.stats.delivered++
    return true
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
      const body = pageBody(frame, (this.members[index] as PageMember).hub.channel)
      entry = { cursor, frame: Buffer.concat([body, Buffer.from(`id: ${cursor}\n\n`, 'latin1')]) }
      memo.set(index, before, entry)
    }
    this.positions[index] = id
    this.cursor = entry.cursor
    if (!this.connection.write(entry.frame)) return false
    this.host.stats.delivered++
    return true
  }

  writeTracked (index: number, id: string, frame: Buffer): Promise<void> | null {
    this.setPosition(index, id)
    const member = this.members[index] as PageMember
    const done = this.connection.writeWithTailTracked(pageBody(frame, member.hub.channel), this.tail())
    if (done !== null) {
      this.host.stats.delivered++
      this.host.stats.replayed++
    }
    return done
  }

  /** Only the cursor: the browser's lastEventId moves without any event firing. */
  writePosition (): void {
    this.connection.writeWithTail(Buffer.alloc(0), this.tail())
  }

  /** A channel could not be continued from its position: tell the page, move it to `since`. */
  writeReset (index: number, reason: string, since: string | null): void {
    bump(this.host.stats.resets, reason)
    this.setPosition(index, since)
    const channel = (this.members[index] as PageMember).hub.channel
    this.connection.writeWithTail(Buffer.from(`event: reset\ndata: ${JSON.stringify({ reason, channel })}\n`), this.tail())
  }
}

export class PageMember implements ChannelMember {
  /** True while the position may be newer than what the channel dispatches next (after a replay). */
  private ahead = false
  /** Live frames waiting while history is being sent; null once live. */
  private held: Array<{ id: string, frame: Buffer | null }> | null = null
  private heldBytes = 0

  constructor (private readonly page: PageConnection, private readonly index: number, readonly hub: LiveChannelHub) {}

  private get position (): string | null {
    return this.page.positions[this.index] ?? null
  }

  deliver (id: string, frame: Buffer | null, memo?: PageFrames): void {
    if (this.held !== null) {
      this.held.push({ id, frame })
      this.heldBytes += frame?.length ?? 0
      // Held frames count against the same bound as the socket queue.
      if (this.heldBytes > this.page.host.maxQueueBytes) this.page.connection.evict()
    } else if (this.ahead) {
      this.sendOnce(id, frame)
    } else if (frame !== null) {
      if (memo === undefined) this.page.write(this.index, id, frame)
      else this.page.writeShared(this.index, id, frame, memo)
    }
  }

  /** Live from here: position at the seam the member was attached at. */
  startLive (since: string | null): void {
    this.page.setPosition(this.index, since)
  }

  /** Replays the channel after `requested` (a position from the browser), then goes live. */
  async resume (requested: string, since: string | null): Promise<void> {
    const connection = this.page.connection
    if (!isValidId(requested)) {
      this.page.writeReset(this.index, 'malformed', since)
      return
    }
    this.held = []
    let history, frames
    try {
      ({ history, frames } = await this.hub.replayFrom(requested))
    } catch (error) {
      // The browser keeps its cursor and tries again after the retry interval.
      this.page.host.logger.error({ err: error, channel: this.hub.channel }, 'reading live history failed; closing the page stream')
      connection.end()
      return
    }
    if (connection.closed) return
    if (!history.complete) {
      this.page.writeReset(this.index, history.messages.length > 0 ? 'too-old' : 'unknown', since)
      this.goLive()
      return
    }
    this.page.setPosition(this.index, requested)
    // A long history goes out in steps under the queue bound (see LiveChannelHub).
    let flushed: Promise<void> | null = null
    for (const { id, frame } of frames) {
      if (flushed !== null && connection.queuedBytes > this.page.host.maxQueueBytes / 2) await flushed
      if (connection.closed) return
      const position = this.position
      if (frame === null || (position !== null && compareIds(id, position) <= 0)) continue
      flushed = this.page.writeTracked(this.index, id, frame)
      if (flushed === null) return
    }
    this.goLive()
  }

  private sendOnce (id: string, frame: Buffer | null): void {
    const position = this.position
    if (position !== null && compareIds(id, position) <= 0) return
    this.ahead = false
    if (frame !== null) this.page.write(this.index, id, frame)
  }

  private goLive (): void {
    const held = this.held ?? []
    this.held = null
    this.heldBytes = 0
    for (const { id, frame } of held) this.sendOnce(id, frame)
    const position = this.position
    const seam = this.hub.seam
    // History can be ahead of dispatch (Redis: stored before its envelope arrived here).
    this.ahead = position !== null && (seam === null || compareIds(position, seam) > 0)
  }
}
