// The notification channel and event names, shared by the component, the CLI publisher and tests.
export const NOTIFICATION_CHANNEL = 'notifications_channel'
export const NOTIFICATION_EVENT = 'notification'
