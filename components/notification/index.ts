// notification: the seed's live component. Messages published on `notifications_channel`
// (by anyone: our broker, POST /notifications, or a plain Redis PUBLISH) are validated,
// rendered once with message.hbs and pushed to every browser on GET /notification/ as SSE
// event `notification`. The component itself renders the feed that connects to the stream.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { sourceDirOf } from '../../src/paths.js'
import { MAX_MESSAGE_BYTES } from '../../src/components/messages.js'
import { sendError } from '../../src/http/errors.js'
import { drop } from '../../src/live/render-outcome.js'
import { withTimeout } from '../../src/util/timeout.js'
import { checkNotification, parseNotification, randomNotification } from './message.js'
import { NOTIFICATION_CHANNEL, NOTIFICATION_EVENT } from './channel.js'

export { NOTIFICATION_CHANNEL, NOTIFICATION_EVENT }

export const STREAM_PATH = '/notification/'

export const DEFAULT_VISIBLE = 5
/** How long a page waits for the broker's last id before rendering the feed without it. */
export const LAST_ID_TIMEOUT_MS = 500

export const NotificationFeedProps = Type.Object({
  /** How many notifications stay visible, newest first. */
  max: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 }))
}, { additionalProperties: false })

export const notification = defineComponent({
  name: 'notification',
  dir: sourceDirOf(import.meta.url),
  props: NotificationFeedProps,
  async data ({ max }, { app }) {
    // The stream starts after the last message that existed when this page was rendered, so
    // nothing published between render and connect is lost. "0-0" = everything from now on.
    // If the broker cannot say (Redis down), the page still renders; its feed starts live.
    let streamUrl = STREAM_PATH
    try {
      const lastId = (await withTimeout(app.live.lastId(NOTIFICATION_CHANNEL), LAST_ID_TIMEOUT_MS, 'the broker')) ?? '0-0'
      streamUrl = `${STREAM_PATH}?lastEventId=${encodeURIComponent(lastId)}`
    } catch (error) {
      app.log.warn({ err: { message: (error as Error).message } }, 'notification feed rendered without a last id: the broker is unavailable')
    }
    return { max: max ?? DEFAULT_VISIBLE, streamUrl }
  }
})

function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

function sameSecret (given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export default async function notificationPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.components.register(notification)
  const renderMessage = fastify.components.template(notification, 'message.hbs')

  const stream = fastify.live.channel({
    channel: NOTIFICATION_CHANNEL,
    event: NOTIFICATION_EVENT,
    // Validated and rendered once per message per process, whoever published it.
    render (payload: string) {
      const parsed = parseNotification(payload)
      // trimEnd: the template's final newline would become an empty trailing data: line.
      return parsed.ok ? renderMessage(parsed.value).trimEnd() : drop(parsed.reason, parsed.detail)
    }
  })

  fastify.get(STREAM_PATH, stream.handler)

  // For other services: publish a notification over HTTP.
  fastify.post('/notifications', {
    bodyLimit: MAX_MESSAGE_BYTES,
    // onRequest runs before the body is read: a caller without the token gets 401, never a
    // parse error or a 413, and the server reads nothing it was not asked for by a client it trusts.
    onRequest: async (request, reply) => {
      const expected = fastify.config.NOTIFICATIONS_TOKEN
      const given = bearerToken(request)
      if (expected === undefined) {
        return await sendError(request, reply, 401, 'Publishing over HTTP is disabled: set NOTIFICATIONS_TOKEN on the server and send it as "Authorization: Bearer <token>"')
      }
      if (given === undefined || !sameSecret(given, expected)) {
        reply.header('WWW-Authenticate', 'Bearer realm="notifications"')
        return await sendError(request, reply, 401, 'A valid "Authorization: Bearer <token>" header is required')
      }
    }
  }, async (request, reply) => {
    const checked = checkNotification(request.body)
    if (!checked.ok) return await sendError(request, reply, 400, checked.detail)
    const id = await fastify.broker.publish(NOTIFICATION_CHANNEL, JSON.stringify(checked.value))
    return await reply.code(202).send({ id })
  })

  // Demo publisher: makes the page come alive without Redis or a publisher script.
  const demo = fastify.config.DEMO_PUBLISHER
  if (demo === 'on' || (demo === 'auto' && fastify.broker.kind === 'memory')) {
    const timer = setInterval(() => {
      fastify.broker.publish(NOTIFICATION_CHANNEL, JSON.stringify(randomNotification()))
        .catch((error: unknown) => fastify.log.warn({ err: error }, 'demo publisher could not publish'))
    }, fastify.config.DEMO_PUBLISH_INTERVAL_MS)
    timer.unref()
    fastify.addHook('onClose', async () => clearInterval(timer))
  }
}
