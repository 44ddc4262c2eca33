// Encoded frames of recent messages, so a message is rendered once even when many browsers
// replay it after a reconnect wave. null records a message whose render was rejected.

export class FrameCache {
  private readonly frames = new Map<string, Buffer | null>()
  private bytes = 0

  constructor (private readonly maxEntries: number, private readonly maxBytes: number) {}

  get (id: string): Buffer | null | undefined {
    return this.frames.get(id)
  }

  set (id: string, frame: Buffer | null): void {
    if (this.frames.has(id)) return
    this.frames.set(id, frame)
    this.bytes += frame?.length ?? 0
    // Oldest inserted first; a frame larger than the whole budget is simply not kept.
    while (this.frames.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.frames.entries().next().value
      if (oldest === undefined) break
      this.frames.delete(oldest[0])
      this.bytes -= oldest[1]?.length ?? 0
    }
  }

  get size (): number {
    return this.frames.size
  }
}
