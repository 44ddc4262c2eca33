// Broadcasts: data changes reach every page showing a live component of that data.
//
// A write announces its data tags once (announce(['contacts', 'contact:42'], change)). Each live
// component whose tags match gets one message on its own broker channel ("broadcast.<name>",
// with history, so pages replay what they missed). Every process renders each such message once
// (ChannelFanout), never once per browser, and writes the same bytes to all its pages.
// Updates that replace a component are coalesced per component, on the leading edge: the first
// change after a quiet window goes out at once (a lone write shows as fast as its row), the
// changes inside the window that follows are merged into one trailing update at its end, which
// opens the next window. A burst of writes (a bulk import through the app) thus sends at most
// one update per window (plus the leading one), so browsers cannot be flooded;
// item updates (prepend/append) are sent per change up to a cap per window, the rest shed
// (counted; those items appear on reload).
// A component may instead be live from a channel of events (live.channel: notification): every
// message published there is checked by its message() and rendered once per process as an
// update, with the same page stream, replay and own stream route as a tags component.
import type { RouteOptions } from 'fastify'
import type { Change, LiveSource } from '../live-source.js'
import type { Live } from '../channels/live-hub.js'
import type { LiveChannel } from '../channels/live-channel.js'
import type { ChannelFamilyOptions } from '../pages/page-streams.js'
import { drop, type LiveRender, type RenderOutcome } from '../channels/render-outcome.js'
import type { LiveLogger } from '../broker/broker.js'

export interface BroadcastsOptions {
  live: Live
  publish: (channel: string, payload: string) => Promise<string>
  renderUpdate: (component: string, props: unknown) => Promise<string>
  /** A compiled extra template of a component's folder (live.update). */
  template?: (source: LiveSource, file: string) => (data: object) => string
  /** Page streams, for components with private per-key channels (live.family). */
  families?: { family: (options: ChannelFamilyOptions) => unknown }
  /** Route config of own stream routes (e.g. { rateLimit }). */
  streamRouteConfig?: object
  logger: LiveLogger
  /** Window of coalescing (ms). */
  coalesceMs?: number
  /** Item updates per component per window before further ones are dropped. */
  maxItemsPerWindow?: number
}

export interface BroadcastStats {
  /** announce() calls. */
  announced: number
  /** Messages published on component channels. */
  published: number
  /** Replace updates merged into the trailing update of their window. */
  coalesced: number
  /** Item updates over the per-window cap, not sent. */
  shed: number
  /** Updates rendered in this process (one per message per component, whatever the pages). */
  renders: number
}

const TAG = /^[A-Za-z0-9_.:-]{1,100}$/
const KINDS = new Set(['create', 'update', 'delete'])
const MAX_PAYLOAD = 4096

/** Reads an announcement from outside (broker payload): hostile until checked. */
export function parseChange (payload: string): Change | undefined {
  if (payload.length > MAX_PAYLOAD) return undefined
  let value: unknown
  try { value = JSON.parse(payload) } catch { return undefined }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const { tags, kind, id } = value as Record<string, unknown>
  if (!Array.isArray(tags) || tags.length === 0 || tags.length > 50 || !tags.every((tag) => typeof tag === 'string' && TAG.test(tag))) return undefined
  if (kind !== undefined && (typeof kind !== 'string' || !KINDS.has(kind))) return undefined
  if (id !== undefined && (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)) return undefined
  return { tags: tags as string[], ...(kind === undefined ? {} : { kind: kind as Change['kind'] }), ...(id === undefined ? {} : { id: id as number }) }
}

interface Entry {
  component: LiveSource
  stream: LiveChannel
  /** Replace: the coalescing window open since the last update sent (null: quiet). */
  pending: NodeJS.Timeout | null
  /** Replace: the tags of the changes merged into the update sent when the window ends. */
  trailing: string[] | null
  windowStart: number
  itemsInWindow: number
}

export class Broadcasts {
  private readonly entries = new Map<string, Entry>()
  private readonly counters: BroadcastStats = { announced: 0, published: 0, coalesced: 0, shed: 0, renders: 0 }
  private readonly coalesceMs: number
  private readonly maxItems: number
  private closed = false

  constructor (private readonly options: BroadcastsOptions) {
    this.coalesceMs = options.coalesceMs ?? 100
    this.maxItems = options.maxItemsPerWindow ?? 20
  }

  /**
   * Declares a live component's channel (at start-up: every process must listen from the
   * start). Called for every registered component when the app is ready; idempotent.
   */
  add (component: LiveSource): LiveChannel | undefined {
    const live = component.live
    if (live === undefined) return undefined
    const known = this.entries.get(component.name)
    if (known !== undefined) return known.stream
    const render = live.message === undefined
      ? async (payload: string) => await this.renderChange(component, payload)
      : this.messageRenderer(component)
    // Replacing updates: a page coming back needs only the newest one.
    const replay = live.swap === 'replace' ? 'latest' : 'all'
    const stream = this.options.live.channel({ channel: live.channel, event: live.event, replay, render })
    this.entries.set(component.name, { component, stream, pending: null, trailing: null, windowStart: 0, itemsInWindow: 0 })
    if (live.family !== undefined) {
      if (this.options.families === undefined) throw new Error(`Component "${component.name}": live.family needs page streams (the live-pages plugin)`)
      const { prefix, authorize } = live.family
      this.options.families.family({ prefix, event: live.event, render, authorize, replay })
    }
    return stream
  }

  /**
   * The component's own SSE stream route (GET live.stream), with its framing and replay:
   * registered for a component's live.stream by the component loader (src/components/load.ts).
   */
  route (component: LiveSource): RouteOptions {
    const url = component.live?.stream
    const stream = this.add(component)
    if (url === undefined || stream === undefined) throw new Error(`Component "${component.name}" has no stream route: declare live.stream (e.g. "/${component.name}/")`)
    return { method: 'GET', url, config: { ...this.options.streamRouteConfig }, handler: stream.handler }
  }

  /**
   * At start-up: a replacing component whose channel has no history yet (first start, a restart
   * of the in-process broker, a history Redis lost) gets one fresh update, so a page coming back
   * with a position from before is sent the current state rather than a reset it cannot act on.
   */
  async seed (): Promise<void> {
    for (const entry of this.entries.values()) {
      const live = entry.component.live
      if (live === undefined || live.tags.length === 0 || live.swap !== 'replace') continue
      const lastId = await this.options.live.lastId(live.channel).catch(() => undefined)
      if (lastId !== null || this.closed) continue
      // Awaited: an instance starting next then finds the channel no longer empty.
      this.counters.published++
      await this.options.publish(live.channel, JSON.stringify({ tags: live.tags })).catch((error: unknown) => {
        this.options.logger.warn({ err: error, channel: live.channel }, 'the start-up update could not be published; pages get the state on the next change or reload')
      })
    }
  }

  /** Tells every live component of these tags that their data changed. Never throws. */
  announce (tags: readonly string[], change: Omit<Change, 'tags'> = {}): void {
    this.counters.announced++
    const announced: Change = { ...change, tags: tags.filter((tag) => TAG.test(tag)) }
    for (const entry of this.entries.values()) {
      const live = entry.component.live
      if (live === undefined || !live.tags.some((tag) => announced.tags.includes(tag))) continue // channel components have no tags
      if (live.swap === 'replace') this.scheduleReplace(entry, announced)
      // An item component that renders nothing for this change is not sent it.
      else if (live.props?.(announced) !== undefined) this.sendItem(entry, announced)
    }
  }

  stats (): BroadcastStats {
    return { ...this.counters }
  }

  close (): void {
    this.closed = true
    for (const entry of this.entries.values()) if (entry.pending !== null) clearTimeout(entry.pending)
  }

  private scheduleReplace (entry: Entry, change: Change): void {
    if (entry.pending !== null) {
      // Inside a window: merged into the one update sent when it ends.
      this.counters.coalesced++
      entry.trailing = change.tags
      return
    }
    // Quiet until now: the leading update goes out at once, and a window opens.
    this.send(entry, { tags: change.tags })
    this.openWindow(entry)
  }

  /** Holds replace updates back for coalesceMs; at the end, the merged one (if any) is sent and the next window opens. */
  private openWindow (entry: Entry): void {
    entry.pending = setTimeout(() => {
      entry.pending = null
      const tags = entry.trailing
      if (tags === null) return
      entry.trailing = null
      this.send(entry, { tags })
      this.openWindow(entry)
    }, this.coalesceMs)
    entry.pending.unref()
  }

  private sendItem (entry: Entry, change: Change): void {
    const now = Date.now()
    if (now - entry.windowStart >= this.coalesceMs) {
      entry.windowStart = now
      entry.itemsInWindow = 0
    }
    if (++entry.itemsInWindow > this.maxItems) {
      this.counters.shed++
      return
    }
    this.send(entry, change)
  }

  private send (entry: Entry, change: Change): void {
    if (this.closed) return
    const channel = entry.component.live?.channel ?? ''
    this.counters.published++
    this.options.publish(channel, JSON.stringify(change)).catch((error: unknown) => {
      this.options.logger.warn({ err: error, channel }, 'a live update could not be published; pages catch up on the next change or reload')
    })
  }

  private async renderChange (component: LiveSource, payload: string): Promise<RenderOutcome> {
    const change = parseChange(payload)
    if (change === undefined) return drop('invalid-change', payload.slice(0, 200))
    const props = component.live?.props === undefined ? {} : component.live.props(change)
    if (props === undefined) return drop('not-affected')
    this.counters.renders++
    // trimEnd: a template's final newline would become an empty trailing data: line.
    return (await this.options.renderUpdate(component.name, props)).trimEnd()
  }

  /** A channel component's render: its message() check, then its update template (or itself). */
  private messageRenderer (component: LiveSource): LiveRender {
    const live = component.live
    const check = live?.message
    if (live === undefined || check === undefined) throw new Error(`Component "${component.name}" has no live.message`)
    const compile = this.options.template
    if (live.update !== undefined && compile === undefined) throw new Error(`Component "${component.name}": live.update needs Broadcasts' template option`)
    const template = live.update === undefined || compile === undefined ? undefined : compile(component, live.update)
    return async (payload) => {
      const checked = check(payload)
      if (!checked.ok) return drop(checked.reason, checked.detail)
      this.counters.renders++
      const html = template === undefined ? await this.options.renderUpdate(component.name, checked.value) : template(checked.value)
      return html.trimEnd()
    }
  }
}
