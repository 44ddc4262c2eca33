// The element around a live component on a page. On a page with a page stream, the {{component}}
// helper joins the component's channel to it (with the channel's newest id, so nothing
// published between render and connect is lost); elsewhere a component with its own stream
// route connects to that route, from the same newest id. The element gets what htmx needs to
// swap updates in: either as a wrapper element, or as {{{live.attributes}}} for a template that
// draws its element itself (live.element false).
import type { Component, RenderContext } from './define.js'
import { broadcastChannel } from './define.js'
import { withTimeout } from '../util/timeout.js'

export { broadcastChannel }

/** How long a page waits for the broker's newest id before rendering the component without it. */
export const LAST_ID_WAIT_MS = 500

const HX_SWAP = { replace: 'innerHTML', prepend: 'afterbegin', append: 'beforeend' } as const

/**
 * Whether a live element's updates morph. Replace updates do by default: htmx 4's own innerMorph; on
 * htmx 2 the same name is the page's flc-morph extension (/static/live-morph.js, idiomorph),
 * named in hx-ext here (htmx 4 ignores hx-ext; htmx 2 merges it with the stream's "sse").
 */
function morphs (live: NonNullable<Component['live']>): boolean {
  return live.swap === 'replace' && live.morph
}

/** Where a rendered live component gets its updates from. */
export interface LiveConnection {
  /** Its channel (a family member's when private). */
  channel: string
  /** On a page stream: the event name and the channel's place in the page's cursor. */
  page?: { event: string, index: number, sseSwap: boolean }
  /** Outside a page stream, its own stream route (with the newest id when the broker answered). */
  streamUrl?: string
  private: boolean
}

function escapeAttribute (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

async function newestId (channel: string, ctx: RenderContext): Promise<string | null | undefined> {
  try {
    return await withTimeout(ctx.app.live.lastId(channel), LAST_ID_WAIT_MS, 'the broker')
  } catch (error) {
    // The page still renders; this component's updates start live, without replay.
    ctx.app.log.warn({ err: { message: (error as Error).message }, channel }, 'live component rendered without a last id: the broker is unavailable')
    return undefined
  }
}

/**
 * Connects a live component being rendered: joins the page stream when the page has one, else
 * its own stream route when it has one; undefined when it is static here (no stream at all).
 * The newest id is read before the data, so an update published in between is replayed.
 */
export async function connectLive (component: Component, props: object, ctx: RenderContext): Promise<LiveConnection | undefined> {
  const live = component.live
  if (live === undefined) return undefined
  const key = live.family?.key(props as never, ctx)
  const channel = key === undefined ? live.channel : `${live.family?.prefix ?? ''}:${key}`
  if (ctx.page !== undefined) {
    const slot = ctx.page.join(channel, await newestId(channel, ctx))
    return { channel, page: slot, private: key !== undefined }
  }
  if (key !== undefined) throw new Error(`Component "${component.name}": its private channel only renders on a page with a page stream (components.renderPage with livePages.page())`)
  if (live.stream === undefined) return undefined
  const lastId = await newestId(channel, ctx)
  // "0-0": the channel is empty, so everything published from now on is new.
  const streamUrl = lastId === undefined ? live.stream : `${live.stream}?lastEventId=${encodeURIComponent(lastId ?? '0-0')}`
  return { channel, streamUrl, private: false }
}

/** The attributes of the live element (also given to templates as {{{live.attributes}}}). */
export function liveAttributes (component: Component, connection: LiveConnection | undefined): string {
  const live = component.live
  if (live === undefined) return ''
  const attributes = [`data-live-component="${component.name}"`]
  if (live.id !== undefined) attributes.unshift(`id="${live.id}"`)
  const morphing = morphs(live)
  const swap = `hx-swap="${morphing ? 'innerMorph' : HX_SWAP[live.swap]}"`
  if (connection?.page !== undefined) {
    const { event, index, sseSwap } = connection.page
    attributes.push(`data-live-channel="${escapeAttribute(event)}"`, `data-live-index="${index}"`, swap)
    if (morphing) attributes.push('hx-ext="flc-morph"')
    if (sseSwap) attributes.push(`sse-swap="${escapeAttribute(event)}"`)
  } else if (connection?.streamUrl !== undefined) {
    attributes.push(`hx-ext="${morphing ? 'sse,flc-morph' : 'sse'}"`, `sse-connect="${escapeAttribute(connection.streamUrl)}"`, `sse-swap="${escapeAttribute(live.event)}"`, swap)
  }
  return attributes.join(' ')
}

/** Wraps the component's HTML in its live element (unless its template draws the element). */
export function liveElement (component: Component, connection: LiveConnection | undefined, html: string): string {
  const live = component.live
  if (live === undefined || live.element === false) return html
  return `<${live.element} ${liveAttributes(component, connection)}>${html.trimEnd()}</${live.element}>`
}
