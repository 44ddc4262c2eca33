// notification: the seed's live component, a live component from a channel of events.
// Messages published on `notifications_channel` (by anyone: our broker, POST /notifications,
// or a plain Redis PUBLISH) are checked by parseNotification, rendered once per process with
// message.hbs and pushed to every page showing the feed: on the page stream, or on the feed's
// own stream GET /notification/ as SSE event `notification` (the seed's framing and replay).
// audience "session" gives a browser session its private feed (one channel per session).
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { sourceDirOf } from '../../src/paths.js'
import { MAX_MESSAGE_BYTES } from './validate.js'
import { sendError } from '../../src/http/errors.js'
import { checkNotification, parseNotification, publishedFields, randomNotification, type Notification } from './message.js'
import { NOTIFICATION_CHANNEL, NOTIFICATION_EVENT, PRIVATE_NOTIFICATIONS, privateNotificationChannel } from './channel.js'

export { NOTIFICATION_CHANNEL, NOTIFICATION_EVENT, PRIVATE_NOTIFICATIONS, privateNotificationChannel }

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
  dir: sourceDirOf(import.meta.url),
  props: NotificationFeedProps,
  live: {
    channel: NOTIFICATION_CHANNEL,
    message: parseNotification,
    update: 'message.hbs',
    swap: 'prepend',
    element: false,
    stream: STREAM_PATH,
    event: NOTIFICATION_EVENT,
    family: {
      prefix: PRIVATE_NOTIFICATIONS,
      key ({ audience }, { app, request }) {
        if (audience !== 'session') return undefined
        const session = request === undefined ? undefined : app.sessions.current(request)
        if (session === undefined) throw new Error('The private notification feed needs a browser session: call fastify.sessions.ensure(request, reply) before rendering the page')
        return session
      },
      // Only the pages of that session may read its channel.
      authorize: (session, request) => request.server.sessions.current(request) === session
    }
  },
  data: ({ max, audience }) => ({ max: max ?? DEFAULT_VISIBLE, isPrivate: audience === 'session' })
})

const SESSION_TARGET = /^[A-Za-z0-9_-]{22}$/

/** Publishes a notification only the pages of one browser session receive (and replay). */
export async function publishPrivateNotification (app: FastifyInstance, session: string, value: Notification): Promise<string> {
  const checked = checkNotification(value)
  if (!checked.ok) throw new TypeError(`Invalid notification: ${checked.detail}`)
  return await app.broker.publish(privateNotificationChannel(session), JSON.stringify(checked.value))
}

function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

/** Compares digests, not the strings: equal lengths always, so the time taken reveals nothing (not even the token's length). */
function sameSecret (given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

export default async function notificationPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.components.register(notification)
  fastify.route(fastify.broadcasts.route(notification))

  // For other services: publish a notification over HTTP.
  fastify.post('/notifications', {
    bodyLimit: MAX_MESSAGE_BYTES,
    config: { rateLimit: fastify.rateLimits.publish },
    // onRequest runs before the body is read: a caller without the token gets 401, never a
    // parse error or a 413, and the server reads nothing it was not asked for by a client it trusts.
    onRequest: async (request, reply) => {
      const expected = fastify.config.NOTIFICATIONS_TOKEN
      const given = bearerToken(request)
      if (expected === undefined) {
        return await sendError(request, reply, 401, 'Publishing over HTTP is disabled: set NOTIFICATIONS_TOKEN on the server and send it as "Authorization: Bearer <token>"', 'FLC_PUBLISHING_DISABLED')
      }
      if (given === undefined || !sameSecret(given, expected)) {
        reply.header('WWW-Authenticate', 'Bearer realm="notifications"')
        return await sendError(request, reply, 401, 'A valid "Authorization: Bearer <token>" header is required', 'FLC_UNAUTHORIZED')
      }
    }
  }, async (request, reply) => {
    // An optional "target" (a session id) makes it a private notification of that session.
    const body = request.body
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body)
    const { target, ...fields } = isObject ? body as Record<string, unknown> : {}
    const message = isObject ? fields : body
    if (target !== undefined && (typeof target !== 'string' || !SESSION_TARGET.test(target))) {
      return await sendError(request, reply, 400, 'target must be a session id (22 letters, digits, _ or -), as shown on the page', 'FLC_INVALID_NOTIFICATION')
    }
    const checked = checkNotification(message)
    if (!checked.ok) return await sendError(request, reply, 400, checked.detail, 'FLC_INVALID_NOTIFICATION')
    const channel = target === undefined ? NOTIFICATION_CHANNEL : privateNotificationChannel(target)
    const id = await fastify.broker.publish(channel, JSON.stringify(publishedFields(checked.value)))
    return await reply.code(202).send({ id })
  })

  // Demo publisher: makes the page come alive without Redis or a publisher script.
  const demo = fastify.config.DEMO_PUBLISHER
  if (demo === 'on' || (demo === 'auto' && fastify.broker.kind === 'memory')) {
    let ticks = 0
    const timer = setInterval(() => {
      fastify.broker.publish(NOTIFICATION_CHANNEL, JSON.stringify(randomNotification()))
        .catch((error: unknown) => fastify.log.warn({ err: error }, 'demo publisher could not publish'))
      // Every third tick, a private note to each session that has a page open.
      if (++ticks % 3 !== 0) return
      for (const session of fastify.livePages.streams.activeKeys(PRIVATE_NOTIFICATIONS)) {
        publishPrivateNotification(fastify, session, { ...randomNotification(), title: 'Just for you', color: 'purple' })
          .catch((error: unknown) => fastify.log.warn({ err: error }, 'demo publisher could not publish'))
      }
    }, fastify.config.DEMO_PUBLISH_INTERVAL_MS)
    timer.unref()
    fastify.addHook('onClose', async () => clearInterval(timer))
  }
}
