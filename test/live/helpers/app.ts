// A tiny app for live-layer tests: config + broker + live plugins and one channel whose render
// is trivial (the payload is the HTML), except payloads starting with "throw" (render throws)
// and "drop" (render rejects with reason "dropped-on-purpose").
import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { loadConfig } from '../../../src/config.js'
import configPlugin from '../../../plugins/app/config.js'
import brokerPlugin from '../../../plugins/app/broker.js'
import livePlugin from '../../../plugins/app/live.js'
import { drop, type LiveRender } from '../../../src/live/channels/render-outcome.js'
import type { LiveChannel } from '../../../src/live/channels/live-channel.js'
import { deleteRedisKeys, requireRedis, uniqueName } from '../../helpers/services.js'

export const CHANNEL = 'test_channel'
export const EVENT = 'update'

export type BrokerKind = 'memory' | 'redis'

export interface LiveTestApp {
  app: FastifyInstance
  channel: LiveChannel
  /** URL of the SSE route. */
  url: string
  prefix: string
  connectionName: string
}

export function trivialRender (payload: string): string | ReturnType<typeof drop> {
  if (payload.startsWith('throw')) throw new Error('render failed on purpose')
  if (payload.startsWith('drop')) return drop('dropped-on-purpose', payload)
  return payload
}

/**
 * Environment for a broker kind: Redis gets a unique CHANNEL_PREFIX (keys removed after the
 * test). Returns undefined when Redis is required but absent (the test was skipped).
 */
export async function liveEnv (t: TestContext, kind: BrokerKind, env: Record<string, string> = {}): Promise<Record<string, string> | undefined> {
  if (kind === 'memory') return { ...env }
  const redisUrl = await requireRedis(t)
  if (redisUrl === undefined) return undefined
  const prefix = `${uniqueName('flc_live')}:`
  t.after(() => deleteRedisKeys(redisUrl, prefix))
  return { REDIS_URL: redisUrl, CHANNEL_PREFIX: prefix, ...env }
}

export async function startLiveApp (t: TestContext, env: Record<string, string>, render: LiveRender = trivialRender): Promise<LiveTestApp> {
  // Hundreds of test clients share 127.0.0.1: lift the per-address stream cap (tested on its own in test/hostile).
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', STREAMS_PER_CLIENT: '100000', ...env })
  const connectionName = uniqueName('flc_live_conn')
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config })
  await app.register(brokerPlugin, { connectionName })
  await app.register(livePlugin)
  const channel = app.live.channel({ channel: CHANNEL, event: EVENT, render })
  app.get('/stream', channel.handler)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return { app, channel, url: `http://127.0.0.1:${address.port}/stream`, prefix: config.CHANNEL_PREFIX, connectionName }
}

/** Connections of this app in CLIENT LIST (names "<connectionName>:cmd" and ":sub"). */
export async function redisConnections (redis: Redis, connectionName: string): Promise<Array<{ id: string, name: string }>> {
  const list = await redis.client('LIST') as string
  return list.split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((pair) => pair.split('=', 2) as [string, string])))
    .filter((fields) => typeof fields.name === 'string' && fields.name.startsWith(`${connectionName}:`))
    .map((fields) => ({ id: fields.id!, name: fields.name! }))
}
