// The frames page streams share for one dispatched message (see page-connection.ts).

/**
 * The frames of one dispatched message for every page carrying its channel: per index of the
 * channel in the page's token, per cursor before the message, the cursor after it and the
 * frame to write. Lives as long as one dispatch.
 */
export class PageFrames {
  private readonly byIndex: Array<Map<string, { cursor: string, frame: Buffer }> | undefined> = []

  get (index: number, before: string): { cursor: string, frame: Buffer } | undefined {
    return this.byIndex[index]?.get(before)
  }

  set (index: number, before: string, entry: { cursor: string, frame: Buffer }): void {
    let byCursor = this.byIndex[index]
    if (byCursor === undefined) this.byIndex[index] = byCursor = new Map()
    byCursor.set(before, entry)
  }
}
