// The framing of a component's own stream route: one channel per connection, each message's
// frame written as the channel encoded it ("id: <message id>", "event: <event>", data lines),
// the reset event named by the channel (default "reset") with data {"reason": …}.
import type { DispatchMemo, ResetReason, StreamFraming } from './channel-reader.js'
import type { SseConnection } from './sse-connection.js'
import { encodeEvent } from './sse-frame.js'

export class ChannelFraming implements StreamFraming {
  /** Newest id written to this browser. */
  private lastSentId: string | null = null

  constructor (readonly connection: SseConnection, private readonly resetEvent: string) {}

  position (): string | null {
    return this.lastSentId
  }

  setPosition (id: string | null): void {
    this.lastSentId = id
  }

  write (id: string, frame: Buffer): boolean {
    if (!this.connection.write(frame)) return false
    this.lastSentId = id
    return true
  }

  // Every browser of the channel gets the same Buffer already: nothing to share per cursor.
  writeShared (id: string, frame: Buffer, _memo: DispatchMemo): boolean {
    return this.write(id, frame)
  }

  writeTracked (id: string, frame: Buffer): Promise<void> | null {
    const done = this.connection.writeTracked(frame)
    if (done !== null) this.lastSentId = id
    return done
  }

  writeReset (reason: ResetReason, since: string | null): void {
    this.connection.write(encodeEvent({ id: since ?? '', event: this.resetEvent, data: JSON.stringify({ reason }) }))
    this.lastSentId = since
  }
}
