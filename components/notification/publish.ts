// POST /notifications, for other services (bearer NOTIFICATIONS_TOKEN, rate-limited): a
// notification for everyone, or with "target" (a session id) for the pages of one session.
import { bearerGuard, InvalidNotificationError, MAX_MESSAGE_BYTES, type FastifyInstance } from '#flc'
import { NOTIFICATION_CHANNEL, privateNotificationChannel } from './channel.js'
import { notificationMessage, type Notification } from './message.js'

const SESSION_TARGET = /^[A-Za-z0-9_-]{22}$/

/** Publishes a notification only the pages of one browser session receive (and replay). */
export async function publishPrivateNotification (app: FastifyInstance, session: string, value: Notification): Promise<string> {
  const checked = notificationMessage.check(value)
  if (!checked.ok) throw new TypeError(`Invalid notification: ${checked.detail}`)
  return await app.broker.publish(privateNotificationChannel(session), JSON.stringify(checked.value))
}

export function publishRoute (fastify: FastifyInstance): void {
  fastify.post('/notifications', {
    bodyLimit: MAX_MESSAGE_BYTES,
    config: { rateLimit: fastify.rateLimits.publish },
    onRequest: bearerGuard({ token: () => fastify.config.NOTIFICATIONS_TOKEN, variable: 'NOTIFICATIONS_TOKEN', realm: 'notifications' })
  }, async (request, reply) => {
    const body = request.body
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body)
    const { target, ...fields } = isObject ? body as Record<string, unknown> : {}
    if (target !== undefined && (typeof target !== 'string' || !SESSION_TARGET.test(target))) {
      throw new InvalidNotificationError('target must be a session id (22 letters, digits, _ or -), as shown on the page')
    }
    const checked = notificationMessage.check(isObject ? fields : body)
    if (!checked.ok) throw new InvalidNotificationError(checked.detail)
    const channel = target === undefined ? NOTIFICATION_CHANNEL : privateNotificationChannel(target)
    // Only the known fields: a 40 KB body of nested extras is accepted, never re-serialised.
    const id = await fastify.broker.publish(channel, JSON.stringify(notificationMessage.known(checked.value)))
    return await reply.code(202).send({ id })
  })
}
