// The seed's notification component, shared by both baseline servers so they render the
// same HTML the same way (Handlebars, compiled once, HTML-escaped like Django's templates).
import Handlebars from 'handlebars'

// Verbatim from the seed's NotificationComponent.template.
export const SEED_TEMPLATE = `
    <div style="color: {{color}};" role="alert">
        <span style="font-weight: bold;">{{ title }}</span> {{ message }}
    </div>
    `

const template = Handlebars.create().compile(SEED_TEMPLATE)

export function renderNotification (notification) {
  return template({ title: notification.title, message: notification.message, color: notification.color })
}

/** The seed's sse_message(): newlines stripped, one data line (flaw 4, kept on purpose). */
export function seedSseMessage (eventId, event, data) {
  data = data.replaceAll('\n', '')
  return `id: ${eventId}\nevent: ${event}\ndata: ${data.trim()}\n\n`
}

/** A correct SSE frame: one data line per HTML line, so the browser gets the HTML intact. */
export function sseFrame (eventId, event, html) {
  const lines = html.trim().split('\n')
  let frame = `id: ${eventId}\nevent: ${event}\n`
  for (const line of lines) frame += `data: ${line}\n`
  return frame + '\n'
}

export function channelName (env) {
  return `${env.CHANNEL_PREFIX ?? ''}notifications_channel`
}

/** Plain CSS colours only (names or #hex), so channel data cannot inject CSS. */
export function isPlainColor (color) {
  return typeof color === 'string' && /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,32})$/.test(color)
}
