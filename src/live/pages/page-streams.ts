// Page streams: one SSE connection per page carrying every live channel the page was rendered
// with (GET /live/?s=<token>&lastEventId=<cursor>), instead of one connection per component.
// Channels are either declared ones (live.channel(), public) or members of a channel family,
// created on demand per key (e.g. one private notification channel per browser session) and
// dropped when no page carries them any more.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { assertChannelName, type LiveLogger } from '../broker/broker.js'
import type { LiveHub } from '../channels/live-hub.js'
import { ChannelFanout, ServiceUnavailableError, type ReplayMode } from '../channels/live-channel.js'
import type { LiveRender } from '../channels/render-outcome.js'
import { answeredHead, bump, requestedLastEventId } from '../stream/channel-reader.js'
import { parseCursor } from './page-cursor.js'
import { isValidId } from '../broker/ids.js'
import { emptyPageStats, PageConnection, type PageStreamStats } from './page-connection.js'
import { readPageToken, signPageToken, type PageGrant, type TokenKeys } from './page-token.js'
import { isValidEventName } from '../stream/sse-frame.js'
import { streamRefused } from '../../errors.js'

export interface ChannelFamilyOptions {
  /** Channels are "<prefix>:<key>", e.g. "private_notifications:<session id>". */
  prefix: string
  /** Event name of its frames (as for live.channel()). */
  event: string
  render: LiveRender
  /** 'latest': every message replaces the last (a count), so a page coming back is sent only the newest. Default 'all'. */
  replay?: ReplayMode
  /** Whether this request may read the channel of `key` (checked again when a token is renewed). */
  authorize: (key: string, request: FastifyRequest) => boolean
}

export interface ChannelFamily {
  readonly prefix: string
  /** The channel name of a key; throws on a key that is not 1-64 letters, digits, _ or -. */
  channel (key: string): string
}

export interface PageStreamsOptions {
  hub: LiveHub
  keys: TokenKeys
  /** LIVE_TOKEN_TTL_MS. */
  tokenTtlMs: number
  now?: () => number
}

interface FamilyEntry {
  options: ChannelFamilyOptions
  /** Channels in use: their fanout and how many page connections carry them. */
  active: Map<string, { fanout: ChannelFanout, refs: number }>
}

const FAMILY_PREFIX = /^[A-Za-z0-9_.-]{1,40}$/
const FAMILY_KEY = /^[A-Za-z0-9_-]{1,64}$/

export class PageStreams {
  private readonly hub: LiveHub
  private readonly keys: TokenKeys
  private readonly families = new Map<string, FamilyEntry>()
  private readonly counters = emptyPageStats()
  private readonly now: () => number
  readonly tokenTtlMs: number
  private readonly logger: LiveLogger

  constructor (options: PageStreamsOptions) {
    this.hub = options.hub
    this.keys = options.keys
    this.tokenTtlMs = options.tokenTtlMs
    this.now = options.now ?? Date.now
    this.logger = options.hub.logger
  }

  /** Declares a family of per-key channels (at start-up). */
  family (options: ChannelFamilyOptions): ChannelFamily {
    if (!FAMILY_PREFIX.test(options.prefix)) throw new TypeError(`livePages.family: prefix ${JSON.stringify(options.prefix)} must be 1-40 letters, digits or _ . -`)
    if (this.families.has(options.prefix)) throw new Error(`livePages.family: "${options.prefix}" is already declared; declare it once at start-up`)
    if (!isValidEventName(options.event)) throw new TypeError(`livePages.family(${options.prefix}): event ${JSON.stringify(options.event)} must be 1-100 letters, digits or _ . : -`)
    if (typeof options.render !== 'function' || typeof options.authorize !== 'function') {
      throw new TypeError(`livePages.family(${options.prefix}): render and authorize must be functions`)
    }
    this.families.set(options.prefix, { options, active: new Map() })
    return {
      prefix: options.prefix,
      channel (key: string): string {
        if (!FAMILY_KEY.test(key)) throw new TypeError(`Channel key ${JSON.stringify(key)} of family "${options.prefix}" must be 1-64 letters, digits, _ or -`)
        return `${options.prefix}:${key}`
      }
    }
  }

  /** A signed token for a page carrying these channels (cursor order = this order). */
  grant (channels: readonly string[]): { token: string, expiresAt: number } {
    const expiresAt = this.now() + this.tokenTtlMs
    return { token: signPageToken(this.keys, { channels, expiresAt }), expiresAt }
  }

  /**
   * A fresh token for the channels of a (possibly expired) token of ours, when this request
   * may still read every one of them.
   */
  renew (token: unknown, request: FastifyRequest): { token: string, expiresAt: number } {
    const grant = this.verify(token, true)
    for (const channel of grant.channels) {
      if (!this.authorized(channel, request)) this.refuse('unauthorized')
    }
    return this.grant(grant.channels)
  }

  readonly handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (await answeredHead(request, reply)) return
    // Checked before anything is read: a refused request costs a MAC and nothing else.
    const grant = this.verify((request.query as Record<string, unknown> | null)?.s, false)
    // A token is a capability that may leak (a shared URL, a log): private channels are also
    // checked against this request (its session), as renewal does.
    for (const channel of grant.channels) {
      if (!this.authorized(channel, request)) this.refuse('unauthorized')
    }
    // The same connection limits as every stream route (per address, per process).
    this.hub.admit(request, reply)
    const requested = requestedLastEventId(request)
    const fanouts = grant.channels.map((channel) => this.acquire(channel))
    const release = () => { for (const channel of grant.channels) this.release(channel) }
    try {
      await Promise.all(fanouts.map((fanout) => fanout.subscribed()))
    } catch (error) {
      release()
      throw error
    }
    if (this.hub.closing) {
      release()
      throw new ServiceUnavailableError('The server is shutting down')
    }
    reply.hijack()
    const connection = this.hub.open(reply.raw)
    const page = new PageConnection(connection, {
      logger: this.logger,
      maxQueueBytes: this.hub.maxQueueBytes,
      stats: this.counters
    }, fanouts)
    // Everything dispatched from here on reaches the page: each channel's seam, taken now.
    const seams = fanouts.map((fanout) => fanout.seam)
    for (const [index, reader] of page.readers.entries()) fanouts[index]?.addReader(reader)
    this.counters.connections++
    connection.onClose((reason) => {
      this.counters.connections--
      if (reason === 'evicted') this.counters.evicted++
      for (const [index, reader] of page.readers.entries()) fanouts[index]?.removeReader(reader)
      release()
    })
    if (connection.closed) return

    if (requested === undefined) {
      // Live only; the cursor still gives the browser a position to resume every channel from.
      page.readers.forEach((reader, index) => reader.startLive(seams[index] ?? null))
      page.writePosition()
      return
    }
    const positions = parseCursor(requested, fanouts.length)
    // Channels resume in parallel and every frame carries the whole cursor: until a channel's
    // replay is done its place must hold what the browser sent, not "0-0" (a browser dropping in
    // that moment would reconnect from "0-0" and be replayed that channel's whole history).
    positions?.forEach((position, index) => { if (isValidId(position)) page.setPosition(index, position) })
    await Promise.all(page.readers.map((reader, index) => reader.resume(positions?.[index] ?? 'malformed', seams[index] ?? null)))
  }

  stats (): PageStreamStats & { familyChannels: Record<string, number> } {
    const familyChannels: Record<string, number> = {}
    for (const [prefix, entry] of this.families) familyChannels[prefix] = entry.active.size
    return { ...this.counters, resets: { ...this.counters.resets }, refused: { ...this.counters.refused }, familyChannels }
  }

  /** Keys of a family's channels that some open page carries (e.g. sessions online). */
  activeKeys (prefix: string): string[] {
    const entry = this.families.get(prefix)
    return entry === undefined ? [] : [...entry.active.keys()].map((channel) => channel.slice(prefix.length + 1))
  }

  /** Drops every family channel's subscription (app close; streams were ended by the hub). */
  async close (): Promise<void> {
    const stopping = []
    for (const entry of this.families.values()) {
      for (const { fanout } of entry.active.values()) stopping.push(fanout.subscribed().then(() => fanout.stop(), () => {}))
      entry.active.clear()
    }
    await Promise.all(stopping)
  }

  private verify (token: unknown, allowExpired: boolean): PageGrant {
    const check = readPageToken(this.keys, token, this.now(), allowExpired)
    if (!check.ok) this.refuse(check.reason)
    return check.grant
  }

  private refuse (reason: string): never {
    bump(this.counters.refused, reason)
    throw streamRefused(reason)
  }

  private familyOf (channel: string): FamilyEntry | undefined {
    const colon = channel.indexOf(':')
    return colon > 0 ? this.families.get(channel.slice(0, colon)) : undefined
  }

  private authorized (channel: string, request: FastifyRequest): boolean {
    if (this.hub.declared(channel) !== undefined) return true
    const family = this.familyOf(channel)
    const key = family === undefined ? '' : channel.slice(family.options.prefix.length + 1)
    return family !== undefined && FAMILY_KEY.test(key) && family.options.authorize(key, request)
  }

  /** The channel's fanout; a family channel is created (and counted) here. */
  private acquire (channel: string): ChannelFanout {
    const declared = this.hub.declared(channel)
    if (declared !== undefined) return declared
    const family = this.familyOf(channel)
    if (family === undefined) {
      // Signed by us, but the channel is gone (a deploy removed it): the page must reload.
      this.refuse('unknown-channel')
    }
    assertChannelName(channel)
    let active = family.active.get(channel)
    if (active === undefined) {
      const { event, render, replay } = family.options
      active = { fanout: new ChannelFanout(this.hub, { channel, event, render, replay }), refs: 0 }
      family.active.set(channel, active)
    }
    active.refs++
    return active.fanout
  }

  private release (channel: string): void {
    const family = this.familyOf(channel)
    const active = family?.active.get(channel)
    if (family === undefined || active === undefined || --active.refs > 0) return
    family.active.delete(channel)
    const { fanout } = active
    fanout.subscribed().then(() => fanout.stop(), () => {}).catch((error: unknown) => {
      this.logger.warn({ err: error, channel }, 'page stream: unsubscribing a family channel failed')
    })
  }
}
