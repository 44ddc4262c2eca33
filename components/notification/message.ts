// The notification message, as published on the channel or POSTed: the seed's
// {id, title, message, color, timestamp}. Unknown extra fields are allowed and ignored. The
// framework checks every message against this schema (live.message) and cleans its text.
import { messageValidator, Type, type Static } from '#flc'

export const NotificationMessage = Type.Object({
  id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 100 })])),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  message: Type.String({ maxLength: 2000 }),
  // A plain CSS colour (a name or #hex): it goes into the page's CSSOM (script.js).
  color: Type.String({ minLength: 1, maxLength: 40, format: 'css-color' }),
  timestamp: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Number()]))
})

export type Notification = Static<typeof NotificationMessage>

export const notificationMessage = messageValidator(NotificationMessage)

const COLORS = ['blue', 'green', 'red', 'black', 'gray', 'purple']
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T
const upTo = (n: number): number => 1 + Math.floor(Math.random() * n)

/** The seed's random notification (its ids were random; ours come from the history). */
export function randomNotification (): Notification {
  return {
    id: upTo(1000),
    title: `Notification ${upTo(100)}`,
    message: `This is a random message ${upTo(100)}`,
    color: pick(COLORS),
    timestamp: new Date().toUTCString()
  }
}
