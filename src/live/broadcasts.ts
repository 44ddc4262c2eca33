// Broadcasts: data changes reach every page showing a live component of that data.
//
// A write announces its data tags once (announce(['contacts', 'contact:42'], change)). Each live
// component whose tags match gets one message on its own broker channel ("broadcast.<name>",
// with history, so pages replay what they missed). Every process renders each such message once
// (LiveChannelHub), never once per browser, and writes the same bytes to all its pages.
// Updates that replace a component are coalesced per component: a burst of writes (a bulk
// import through the app) sends at most one update per window, so browsers cannot be flooded;
// item updates (prepend/append) are sent per change up to a cap per window, the rest shed
// (counted; those items appear on reload).
import type { TObject } from '@sinclair/typebox'
import type { Change, Component } from '../components/define.js'
import { broadcastChannel } from '../components/live-element.js'
import type { Live } from './live-hub.js'
import { drop, type RenderOutcome } from './render-outcome.js'
import type { LiveLogger } from './broker.js'

export interface BroadcastsOptions {
  live: Live
  publish: (channel: string, payload: string) => Promise<string>
  renderUpdate: (component: string, props: unknown) => Promise<string>
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
  /** Replace updates folded into one already scheduled. */
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
  component: Component
  /** Replace: a publish is scheduled for the end of the window. */
  pending: NodeJS.Timeout | null
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

  /** Makes a live component's channel (at start-up: every process must listen from the start). */
  add<P extends TObject> (typed: Component<P>): void {
    const component = typed as unknown as Component
    const live = component.live
    if (live === undefined || this.entries.has(component.name)) return
    const channel = broadcastChannel(component.name)
    this.entries.set(component.name, { component, pending: null, windowStart: 0, itemsInWindow: 0 })
    this.options.live.channel({ channel, event: channel, replay: live.swap === 'replace' ? 'latest' : 'all', render: async (payload) => await this.render(component, payload) })
  }

  /** Tells every live component of these tags that their data changed. Never throws. */
  announce (tags: readonly string[], change: Omit<Change, 'tags'> = {}): void {
    this.counters.announced++
    const announced: Change = { ...change, tags: tags.filter((tag) => TAG.test(tag)) }
    for (const entry of this.entries.values()) {
      const live = entry.component.live
      if (live === undefined || !live.tags.some((tag) => announced.tags.includes(tag))) continue
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
      this.counters.coalesced++
      return
    }
    entry.pending = setTimeout(() => {
      entry.pending = null
      this.send(entry, { tags: change.tags })
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
    const channel = broadcastChannel(entry.component.name)
    this.counters.published++
    this.options.publish(channel, JSON.stringify(change)).catch((error: unknown) => {
      this.options.logger.warn({ err: error, channel }, 'a live update could not be published; pages catch up on the next change or reload')
    })
  }

  private async render (component: Component, payload: string): Promise<RenderOutcome> {
    const change = parseChange(payload)
    if (change === undefined) return drop('invalid-change', payload.slice(0, 200))
    const props = component.live?.props === undefined ? {} : component.live.props(change)
    if (props === undefined) return drop('not-affected')
    this.counters.renders++
    // trimEnd: a template's final newline would become an empty trailing data: line.
    return (await this.options.renderUpdate(component.name, props)).trimEnd()
  }
}
