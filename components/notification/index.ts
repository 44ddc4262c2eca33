// notification: the seed's live component, a live feed of the events published on
// `notifications_channel` (by anyone: our broker, POST /notifications, POST /live/publish/
// notification, or a Redis PUBLISH). The framework checks each against NotificationMessage,
// renders it once per process with message.hbs and pushes it to every page showing the feed: on
// the page stream, or on the feed's own stream GET /notification/ as SSE event `notification`
// (the seed's framing and replay). Its routes: POST /notifications (publish.ts) and the demo
// publisher (demo.ts).
import { defineComponent, sessionFamily, Type, type FastifyInstance } from '#flc'
import { NOTIFICATION_CHANNEL, NOTIFICATION_EVENT, PRIVATE_NOTIFICATIONS, privateNotificationChannel } from './channel.js'
import { NotificationMessage } from './message.js'
import { publishRoute } from './publish.js'
import { demoPublisher } from './demo.js'

export { NOTIFICATION_CHANNEL, NOTIFICATION_EVENT, PRIVATE_NOTIFICATIONS, privateNotificationChannel }
export { publishPrivateNotification } from './publish.js'

export const STREAM_PATH = '/notification/'
export const DEFAULT_VISIBLE = 5

export const NotificationFeedProps = Type.Object({
  /** How many notifications stay visible, newest first. */
  max: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  /** "public": everyone's feed. "session": this browser session's private feed (needs a page stream). */
  audience: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('session')]))
}, { additionalProperties: false })

export const notification = defineComponent({
  name: 'notification',
  props: NotificationFeedProps,
  live: {
    channel: NOTIFICATION_CHANNEL,
    message: NotificationMessage,
    update: 'message.hbs',
    swap: 'prepend',
    element: false,
    stream: STREAM_PATH,
    event: NOTIFICATION_EVENT,
    // audience "session": this browser session's private feed (one channel per session).
    family: sessionFamily(PRIVATE_NOTIFICATIONS, ({ audience }) => audience === 'session')
  },
  routes (fastify: FastifyInstance) {
    publishRoute(fastify)
    demoPublisher(fastify)
  },
  data: ({ max, audience }) => ({ max: max ?? DEFAULT_VISIBLE, isPrivate: audience === 'session' })
})

export default notification
