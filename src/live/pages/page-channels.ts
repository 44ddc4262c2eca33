// The channels of one page being rendered. Live components join while the page renders; once
// it is done, attributes() turns them into the one stream element of the page: sse-connect with
// a signed token and each channel's newest id at render time (so nothing published between
// render and connect is lost), plus what the page runtime (src/public/live-page.js) needs.
import { randomBytes } from 'node:crypto'
import type { LivePage, LivePageSlot } from '../live-source.js'
import { formatCursor } from './page-cursor.js'
import { MAX_PAGE_CHANNELS } from './page-token.js'

export interface PageGrantor {
  grant (channels: readonly string[]): { token: string, expiresAt: number }
}

function escapeAttribute (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export class PageChannels implements LivePage {
  private readonly joined = new Map<string, { index: number, lastId: string | null | undefined }>()
  /**
   * Put it where the stream's attributes go (inside the tag of an element around every live
   * component): `<div {{{liveStream}}}>`. Random per render, so page data cannot forge it.
   */
  readonly marker = `data-flc-live-${randomBytes(9).toString('base64url')}`

  constructor (private readonly streams: PageGrantor, private readonly paths: { stream: string, renew: string }, private readonly htmxVersion: '2' | '4' = '2') {}

  join (channel: string, lastId: string | null | undefined): LivePageSlot {
    let entry = this.joined.get(channel)
    if (entry === undefined) {
      if (this.joined.size >= MAX_PAGE_CHANNELS) throw new Error(`A page can carry at most ${MAX_PAGE_CHANNELS} live channels`)
      entry = { index: this.joined.size, lastId }
      this.joined.set(channel, entry)
    }
    // The page stream names each channel's events after the channel itself.
    return { event: channel, index: entry.index, sseSwap: this.htmxVersion === '2' }
  }

  get channels (): string[] {
    return [...this.joined.keys()]
  }

  /** The stream element's attributes; empty when no live component joined. */
  attributes (): string {
    if (this.joined.size === 0) return ''
    const channels = this.channels
    const { token, expiresAt } = this.streams.grant(channels)
    const positions = [...this.joined.values()].map((entry) => entry.lastId)
    let url = `${this.paths.stream}?s=${token}`
    // An unknown position (broker did not answer) means no cursor: the stream starts live.
    if (positions.every((id) => id !== undefined)) url += `&lastEventId=${formatCursor(positions)}`
    // htmx 2: htmx-ext-sse's sse-connect. htmx 4: its hx-sse extension's hx-sse:connect.
    const connect = this.htmxVersion === '4' ? [`hx-sse:connect="${escapeAttribute(url)}"`] : ['hx-ext="sse"', `sse-connect="${escapeAttribute(url)}"`]
    return [
      ...connect,
      'data-live-page',
      `data-live-events="${escapeAttribute([...channels, 'reset'].join(','))}"`,
      `data-live-renew="${escapeAttribute(this.paths.renew)}"`,
      `data-live-expires="${expiresAt}"`
    ].join(' ')
  }

  /** Replaces the marker in the rendered page. */
  apply (html: string): string {
    return html.replace(this.marker, () => this.attributes())
  }
}
