// Decorates `connectionGuard`: caps on TCP connections per client address and for the whole
// process, applied when a socket is accepted (src/server/connection-guard.ts), sized from the
// open-file limit the process really has. At shutdown it closes the sockets that have no
// response in progress, so half-sent requests cannot hold the process until the grace period.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Server } from 'node:net'
import { ConnectionGuard, trustedPeers } from '../../src/server/connection-guard.js'
import { defaultConnectionsMax, defaultConnectionsPerClient, openFileLimit } from '../../src/util/open-files.js'

declare module 'fastify' {
  interface FastifyInstance {
    connectionGuard: ConnectionGuard
  }
}

async function connectionGuardPlugin (fastify: FastifyInstance) {
  const { CONNECTIONS_MAX, CONNECTIONS_PER_CLIENT, STREAMS_PER_CLIENT, TRUST_PROXY } = fastify.config
  const fileLimit = openFileLimit()
  const max = CONNECTIONS_MAX ?? defaultConnectionsMax(fileLimit)
  if (fileLimit !== null && max >= fileLimit) {
    fastify.log.warn({ CONNECTIONS_MAX: max, openFileLimit: fileLimit }, 'CONNECTIONS_MAX is not below the open-file limit: a flood of sockets can stop /health; lower CONNECTIONS_MAX or raise the limit (ulimit -n)')
  }
  const guard = new ConnectionGuard({
    perClient: CONNECTIONS_PER_CLIENT ?? defaultConnectionsPerClient(STREAMS_PER_CLIENT),
    max,
    trustedPeers: trustedPeers(TRUST_PROXY),
    logger: fastify.log
  })
  guard.attach(fastify.server as unknown as Server)
  fastify.decorate('connectionGuard', guard)
  // preClose: before Fastify waits for the server to close; streams end in preClose too, and
  // their sockets are closed as each stream's response ends.
  fastify.addHook('preClose', async () => { guard.closeIdle() })
}

export default fp(connectionGuardPlugin, { name: 'connection-guard', dependencies: ['config'] })
