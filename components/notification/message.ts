// The notification message, as published on the channel or POSTed: the seed's
// {id, title, message, color, timestamp}. Unknown extra fields are allowed and ignored.
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { isPlainCssColor, PLAIN_CSS_COLOR_HINT } from './css-color.js'
import { checkMessage, parseMessage, type MessageCheck } from './validate.js'

export const NotificationMessage = Type.Object({
  id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 100 })])),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  message: Type.String({ maxLength: 2000 }),
  color: Type.String({ minLength: 1, maxLength: 40 }),
  timestamp: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Number()]))
})

export type Notification = Static<typeof NotificationMessage>

const check = TypeCompiler.Compile(NotificationMessage)

function colorRule (value: Notification): string | undefined {
  return isPlainCssColor(value.color) ? undefined : `color must be ${PLAIN_CSS_COLOR_HINT}; got ${JSON.stringify(value.color)}`
}

export function parseNotification (payload: string): MessageCheck<Notification> {
  return parseMessage(check, payload, colorRule)
}

export function checkNotification (value: unknown): MessageCheck<Notification> {
  return checkMessage(check, value, colorRule)
}

/**
 * Only the fields the component knows are published: unknown extras are allowed in a body but
 * ignored, and re-serialising them (a 40 KB body nested thousands deep) could only fail.
 */
export function publishedFields ({ id, title, message, color, timestamp }: Notification): Notification {
  return { id, title, message, color, timestamp }
}

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
