// A small app for page stream tests: config + broker + live + live-pages, two declared
// channels ("alpha", "beta": the payload is the HTML) and a family "priv" whose channel of key
// K may be read by requests sending the header "x-test-key: K"; a family "tally" anyone may
// read whose messages replace each other (replay: 'latest', as a presence count).
import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { loadConfig } from '../../../src/config.js'
import configPlugin from '../../../plugins/app/config.js'
import brokerPlugin from '../../../plugins/app/broker.js'
import livePlugin from '../../../plugins/app/live.js'
import livePagesPlugin from '../../../plugins/app/live-pages.js'
import rateLimitPlugin from '../../../plugins/external/rate-limit.js'
import type { LiveChannel } from '../../../src/live/channels/live-channel.js'
import type { ChannelFamily } from '../../../src/live/pages/page-streams.js'
import { uniqueName } from '../../helpers/services.js'
import { trivialRender } from './app.js'

export interface PageTestApp {
  app: FastifyInstance
  alpha: LiveChannel
  beta: LiveChannel
  priv: ChannelFamily
  tally: ChannelFamily
  /** http://127.0.0.1:<port> */
  base: string
  /** URL of a page stream for these channels, with a fresh token and optional cursor. */
  streamUrl (channels: string[], cursor?: string): string
}

export async function startPageApp (t: TestContext, env: Record<string, string>): Promise<PageTestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env })
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config })
  await app.register(brokerPlugin, { connectionName: uniqueName('flc_page_conn') })
  await app.register(livePlugin)
  await app.register(rateLimitPlugin)
  await app.register(livePagesPlugin)
  const alpha = app.live.channel({ channel: 'alpha', event: 'update', render: trivialRender })
  const beta = app.live.channel({ channel: 'beta', event: 'update', render: trivialRender })
  const priv = app.livePages.streams.family({
    prefix: 'priv',
    event: 'update',
    render: trivialRender,
    authorize: (key, request) => request.headers['x-test-key'] === key
  })
  const tally = app.livePages.streams.family({ prefix: 'tally', event: 'update', render: trivialRender, authorize: () => true, replay: 'latest' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const base = `http://127.0.0.1:${address.port}`
  return {
    app,
    alpha,
    beta,
    priv,
    tally,
    base,
    streamUrl (channels, cursor) {
      const { token } = app.livePages.streams.grant(channels)
      return `${base}/live/?s=${token}${cursor === undefined ? '' : `&lastEventId=${cursor}`}`
    }
  }
}
