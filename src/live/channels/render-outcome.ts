// What a live channel's render function may answer, and how a message gets rejected.

/**
 * Returned or thrown by a render function to drop one message on purpose (invalid payload).
 * Any other Error with a string `reason` property (1-64 word characters, . : -) works the same;
 * other thrown errors count as "render-error", other returned Errors as "rejected".
 * `reason` is a short stable token, counted in stats (keep the set small: "invalid-json",
 * "invalid-color"); `detail` only goes to the log.
 */
export class LiveDrop extends Error {
  constructor (readonly reason: string, readonly detail?: string) {
    super(detail === undefined ? `live message dropped: ${reason}` : `live message dropped: ${reason}: ${detail}`)
    this.name = 'LiveDrop'
  }
}

/** Shorthand: `return drop('invalid-color', color)` inside a render function. */
export function drop (reason: string, detail?: string): LiveDrop {
  return new LiveDrop(reason, detail)
}

/** The HTML to send, or the reason not to send it. */
export type RenderOutcome = string | LiveDrop

/**
 * Validates one payload (as published: usually JSON) and renders it to HTML. Called once per
 * message per process, not once per client. May be async (e.g. fastify.view()).
 */
export type LiveRender = (payload: string) => RenderOutcome | Promise<RenderOutcome>

export type Judgement = { html: string } | { reason: string, error?: unknown }

/** Turns what render returned (or threw) into HTML or a drop reason. */
export function judge (outcome: unknown, thrown: boolean): Judgement {
  if (!thrown && typeof outcome === 'string') return { html: outcome }
  if (outcome instanceof LiveDrop) return { reason: outcome.reason, error: outcome }
  // Any error carrying a short string `reason` counts like a LiveDrop.
  const reason = (outcome as { reason?: unknown } | null)?.reason
  if (outcome instanceof Error && typeof reason === 'string' && /^[\w.:-]{1,64}$/.test(reason)) return { reason, error: outcome }
  if (thrown) return { reason: 'render-error', error: outcome }
  if (outcome instanceof Error) return { reason: 'rejected', error: outcome }
  return { reason: 'invalid-render-result', error: new TypeError(`render returned ${typeof outcome}, expected a string`) }
}
