// The demo publisher: makes the page come alive without Redis or a publisher script
// (DEMO_PUBLISHER: auto = with the in-process broker; every third tick a private note to each
// session with a page open).
import type { FastifyInstance } from '#flc'
import { NOTIFICATION_CHANNEL, PRIVATE_NOTIFICATIONS } from './channel.js'
import { randomNotification } from './message.js'
import { publishPrivateNotification } from './publish.js'

export function demoPublisher (fastify: FastifyInstance): void {
  const demo = fastify.config.DEMO_PUBLISHER
  if (demo === 'off' || (demo === 'auto' && fastify.broker.kind !== 'memory')) return
  const failed = (error: unknown) => fastify.log.warn({ err: error }, 'demo publisher could not publish')
  let ticks = 0
  const timer = setInterval(() => {
    fastify.broker.publish(NOTIFICATION_CHANNEL, JSON.stringify(randomNotification())).catch(failed)
    if (++ticks % 3 !== 0) return
    for (const session of fastify.livePages.streams.activeKeys(PRIVATE_NOTIFICATIONS)) {
      publishPrivateNotification(fastify, session, { ...randomNotification(), title: 'Just for you', color: 'purple' }).catch(failed)
    }
  }, fastify.config.DEMO_PUBLISH_INTERVAL_MS)
  timer.unref()
  fastify.addHook('onClose', async () => clearInterval(timer))
}
