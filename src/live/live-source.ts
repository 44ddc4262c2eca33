// What the live transport knows of the things above it: a change announced by tags, the page
// being rendered that channels join, and a live source (a component, to the layers above)
// declaring its channel. The transport imports nothing from components, contacts or http:
// those layers implement these shapes.
import type { FastifyRequest } from 'fastify'

/** What an announcement says changed (a repository write, or a call from outside the app). */
export interface Change {
  tags: string[]
  kind?: 'create' | 'update' | 'delete'
  /** Id of the item written, when one was. */
  id?: number
}

/** What a live message check answers: the data of the update, or why it is dropped. */
export type LiveMessageCheck =
  | { ok: true, value: object }
  | { ok: false, reason: string, detail?: string }

/** The page stream of the page being rendered: every live component's channel joins it. */
export interface LivePage {
  /**
   * Adds a channel to the page's one stream. lastId: the channel's newest id now (null: empty;
   * undefined: unknown, the broker did not answer). Answers the SSE event name to swap on
   * (sse-swap) and the channel's place in the stream's cursor.
   */
  join (channel: string, lastId: string | null | undefined): LivePageSlot
}

export interface LivePageSlot {
  /** SSE event name of the channel on the page stream. */
  event: string
  /** The channel's place in the stream's cursor (data-live-index). */
  index: number
  /** htmx 2: the component swaps with sse-swap="{{event}}"; htmx 4 has no sse-swap (the page runtime swaps). */
  sseSwap: boolean
}

/** A live source's declaration, as the transport reads it (a component's live options, checked). */
export interface LiveDeclaration {
  /** Data tags that make it live; empty for a channel source. */
  tags: string[]
  channel: string
  swap: 'replace' | 'prepend' | 'append'
  props?: (change: Change) => object | undefined
  message?: (payload: string) => LiveMessageCheck
  update?: string
  stream?: string
  event: string
  family?: { prefix: string, authorize: (key: string, request: FastifyRequest) => boolean }
}

export interface LiveSource {
  readonly name: string
  readonly live: LiveDeclaration | undefined
}

/** The broker channel (and page stream event) of a tags source's updates. */
export function broadcastChannel (name: string): string {
  return `broadcast.${name}`
}

/**
 * Whether a channel carries a tags source's updates: only the app writes those (coalesced,
 * once per change); outside writers announce by tag instead (XADD <prefix>broadcast:announcements).
 */
export function isBroadcastChannel (channel: string): boolean {
  return channel.startsWith('broadcast.')
}
