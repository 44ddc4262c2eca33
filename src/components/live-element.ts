// The element around a live component on a page: the {{component}} helper joins the component's
// broadcast channel to the page stream (with the channel's newest id, so nothing announced
// between render and connect is lost) and gives the element what htmx needs to swap updates in.
import type { Component, LivePageSlot, RenderContext } from './define.js'
import { withTimeout } from '../util/timeout.js'

/** How long a page waits for the broker's newest id before rendering the component without it. */
export const LAST_ID_WAIT_MS = 500

/** The broker channel (and page stream event) of a live component's updates. */
export function broadcastChannel (component: string): string {
  return `broadcast.${component}`
}

const HX_SWAP = { replace: 'innerHTML', prepend: 'afterbegin', append: 'beforeend' } as const

/** Joins the page stream when the page has one; undefined otherwise (the element is then static). */
export async function joinPage (component: Component, ctx: RenderContext): Promise<LivePageSlot | undefined> {
  if (component.live === undefined || ctx.page === undefined) return undefined
  const channel = broadcastChannel(component.name)
  let lastId: string | null | undefined
  try {
    lastId = await withTimeout(ctx.app.live.lastId(channel), LAST_ID_WAIT_MS, 'the broker')
  } catch (error) {
    // The page still renders; this component's updates start live, without replay.
    ctx.app.log.warn({ err: { message: (error as Error).message }, channel }, 'live component rendered without a last id: the broker is unavailable')
  }
  return ctx.page.join(channel, lastId)
}

/** Wraps the component's HTML in its live element. */
export function liveElement (component: Component, slot: LivePageSlot | undefined, html: string): string {
  const live = component.live
  if (live === undefined) return html
  const attributes = [`data-live-component="${component.name}"`]
  if (live.id !== undefined) attributes.unshift(`id="${live.id}"`)
  if (slot !== undefined) {
    attributes.push(`data-live-channel="${slot.event}"`, `hx-swap="${HX_SWAP[live.swap]}"`)
    if (slot.sseSwap) attributes.push(`sse-swap="${slot.event}"`)
  }
  return `<${live.element} ${attributes.join(' ')}>${html.trimEnd()}</${live.element}>`
}
