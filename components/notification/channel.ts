// The notification channel and event names, shared by the component, the CLI publisher and tests.
export const NOTIFICATION_CHANNEL = 'notifications_channel'
export const NOTIFICATION_EVENT = 'notification'

/** Family of private channels, one per browser session: "private_notifications:<session id>". */
export const PRIVATE_NOTIFICATIONS = 'private_notifications'

export function privateNotificationChannel (session: string): string {
  return `${PRIVATE_NOTIFICATIONS}:${session}`
}
