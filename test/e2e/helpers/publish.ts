// The two ways other systems send a notification: a plain Redis PUBLISH on the channel (the
// seed's way) and POST /notifications with the bearer token.
import type { Redis } from 'ioredis'

export const NOTIFICATION_CHANNEL = 'notifications_channel'

export interface NotificationInput {
  id: string
  title: string
  message: string
  color: string
  timestamp: string
}

let sequence = 0

/** A notification whose title is unique in this run (the test finds it by title). */
export function notification (title: string, message: string, color = 'blue'): NotificationInput {
  sequence += 1
  return { id: `e2e-${sequence}`, title, message, color, timestamp: new Date().toUTCString() }
}

/** PUBLISH <prefix>notifications_channel <json>; resolves with how many subscribers got it. */
export async function publishToRedis (redis: Redis, channelPrefix: string, message: NotificationInput): Promise<number> {
  return await redis.publish(`${channelPrefix}${NOTIFICATION_CHANNEL}`, JSON.stringify(message))
}

/** POST /notifications; resolves with the stored id (the server answers 202 {id}). */
export async function postNotification (baseUrl: string, token: string, message: NotificationInput): Promise<string> {
  const response = await fetch(`${baseUrl}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(5000)
  })
  const text = await response.text()
  if (response.status !== 202) throw new Error(`POST /notifications answered ${response.status}: ${text}`)
  return (JSON.parse(text) as { id: string }).id
}
