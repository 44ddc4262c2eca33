// Liveness and readiness.
// GET /health: the process answers (the container HEALTHCHECK: restarting would not fix a
// database outage). GET /ready: the database and the broker answer too, for load balancers
// that should stop sending traffic to an instance whose dependencies are down.
import type { FastifyInstance } from 'fastify'
import { withTimeout } from '../util/timeout.js'

const CHECK_TIMEOUT_MS = 1000

async function check (work: () => Promise<unknown>, what: string): Promise<string> {
  try {
    await withTimeout(work(), CHECK_TIMEOUT_MS, what)
    return 'ok'
  } catch (error) {
    return (error as Error).message
  }
}

export default async function health (fastify: FastifyInstance): Promise<void> {
  fastify.get('/health', async () => ({ status: 'ok' }))

  fastify.get('/ready', async (_request, reply) => {
    const [database, broker] = await Promise.all([
      check(() => fastify.prisma.$queryRaw`SELECT 1`, 'the database'),
      check(() => fastify.broker.lastId('readiness-probe'), 'the broker')
    ])
    const ready = database === 'ok' && broker === 'ok'
    return await reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', database, broker })
  })
}
