// Liveness and readiness.
// GET /health: the process answers (the container HEALTHCHECK: restarting would not fix a
// database outage). GET /ready: the database and the broker answer too, for load balancers
// that should stop sending traffic to an instance whose dependencies are down.
// Anonymous callers learn which dependency is down ("unavailable"), never its error text
// (driver messages, host names): that goes to the log.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { withTimeout } from '../util/timeout.js'

const CHECK_TIMEOUT_MS = 1000

async function check (work: () => Promise<unknown>, what: string, log: FastifyBaseLogger): Promise<'ok' | 'unavailable'> {
  try {
    await withTimeout(work(), CHECK_TIMEOUT_MS, what)
    return 'ok'
  } catch (error) {
    log.warn({ err: error, dependency: what }, 'readiness check failed')
    return 'unavailable'
  }
}

export default async function health (fastify: FastifyInstance): Promise<void> {
  fastify.get('/health', async () => ({ status: 'ok' }))

  fastify.get('/ready', async (request, reply) => {
    const [database, broker] = await Promise.all([
      check(() => fastify.prisma.$queryRaw`SELECT 1`, 'the database', request.log),
      check(() => fastify.broker.lastId('readiness-probe'), 'the broker', request.log)
    ])
    const ready = database === 'ok' && broker === 'ok'
    if (!ready) reply.header('Retry-After', '5')
    return await reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', database, broker })
  })
}
