// Decorates `broker`: the in-process broker when neither REDIS_URL nor REDIS_CLUSTER_NODES is
// set, the Redis broker (plain Redis or a Redis Cluster) otherwise.
// Closed (connections quit) when the app closes.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Broker } from '../../src/live/broker/broker.js'
import { MemoryBroker } from '../../src/live/broker/memory-broker.js'
import { RedisBroker } from '../../src/live/broker/redis-broker.js'
import { isBroadcastChannel } from '../../src/live/live-source.js'

export interface BrokerPluginOptions {
  /**
   * Redis only: base of the CLIENT SETNAME names ("<name>:cmd", "<name>:sub"), to find this
   * process's two connections in CLIENT LIST. Default "flc:<pid>:<random>".
   */
  connectionName?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    broker: Broker
  }
}

async function brokerPlugin (fastify: FastifyInstance, opts: BrokerPluginOptions) {
  const { REDIS_URL, REDIS_CLUSTER_NODES, CHANNEL_PREFIX, LIVE_HISTORY_SIZE, REDIS_COMMAND_TIMEOUT_MS } = fastify.config
  if (REDIS_URL !== undefined && REDIS_CLUSTER_NODES !== undefined) {
    throw new Error('plugins/app/broker: set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both')
  }
  const clusterNodes = REDIS_CLUSTER_NODES?.split(',')
  if (opts.connectionName !== undefined && !/^[!-~]{1,100}$/.test(opts.connectionName)) {
    throw new Error('plugins/app/broker: connectionName must be 1-100 visible ASCII characters without spaces (Redis CLIENT SETNAME)')
  }
  const logger = fastify.log.child({ component: 'broker' })
  const broker: Broker = REDIS_URL === undefined && clusterNodes === undefined
    ? new MemoryBroker({ historySize: LIVE_HISTORY_SIZE, prefix: CHANNEL_PREFIX, logger })
    : await RedisBroker.connect({ url: REDIS_URL, clusterNodes, prefix: CHANNEL_PREFIX, historySize: LIVE_HISTORY_SIZE, commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS, connectionName: opts.connectionName, logger, acceptsPlainPublish: (channel) => !isBroadcastChannel(channel) })
  fastify.decorate('broker', broker)
  fastify.addHook('onClose', async () => { await broker.close() })
}

export default fp(brokerPlugin, { name: 'broker', dependencies: ['config'] })
