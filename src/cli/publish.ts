// npm run publish -- <component> '<json>': publishes one message to a channel component, checked
// with its message schema first. With REDIS_URL it goes straight to Redis (through the broker's
// publish script: history id, replayable); without, to the running server's
// POST /live/publish/<component> on HOST:PORT with LIVE_PUBLISH_TOKEN (set on both sides).
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../config.js'
import { projectRoot } from '../paths.js'
import { loadComponentFolders } from '../components/load.js'
import { channelComponent, messagePayload } from '../components/publish.js'
import { closeRedis, openRedis, redactRedisUrl } from '../live/broker/redis-connection.js'
import { RedisChannelStore } from '../live/broker/redis-store.js'
import type { LiveLogger } from '../live/broker/broker.js'

const USAGE = 'usage: npm run publish -- <component> \'<json>\'   e.g. npm run publish -- notification \'{"title":"Hi","message":"there","color":"blue"}\''
const quiet: LiveLogger = { debug () {}, info () {}, warn () {}, error () {} }

async function main (args: string[]): Promise<number> {
  const [name, json, ...rest] = args
  if (name === undefined || json === undefined || rest.length > 0) {
    console.error(USAGE)
    return 2
  }
  let config, body: unknown, component, payload
  try {
    config = loadConfig(process.env)
    body = JSON.parse(json)
    component = channelComponent(await loadComponentFolders(join(projectRoot, 'components')), name)
    payload = messagePayload(component, body)
  } catch (error) {
    console.error(error instanceof SyntaxError ? `The message is not valid JSON: ${error.message}` : (error as Error).message)
    return error instanceof ConfigError || error instanceof SyntaxError ? 2 : 1
  }
  const channel = component.live?.channel ?? ''
  if (config.REDIS_URL !== undefined) {
    const redis = await openRedis(config.REDIS_URL, { connectionName: 'flc:publish', maxRetriesPerRequest: 2 }, quiet, 'publisher', 'Start Redis or point REDIS_URL at one.')
    try {
      const id = await new RedisChannelStore(redis, config.CHANNEL_PREFIX, config.LIVE_HISTORY_SIZE).publish(channel, payload)
      console.log(`Published ${id} to ${config.CHANNEL_PREFIX}${channel} on ${redactRedisUrl(config.REDIS_URL)}`)
    } finally {
      await closeRedis(redis)
    }
    return 0
  }
  if (config.LIVE_PUBLISH_TOKEN === undefined) {
    console.error('Without REDIS_URL this publishes through the running server: set LIVE_PUBLISH_TOKEN (16+ characters) for both the server and this command')
    return 2
  }
  const url = `http://${config.HOST}:${config.PORT}/live/publish/${name}`
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${config.LIVE_PUBLISH_TOKEN}` },
    body: payload,
    signal: AbortSignal.timeout(10_000)
  }).catch((error: unknown) => { throw new Error(`${url}: ${(error as Error).message} (is the server running? npm start)`) })
  const answer = await response.text()
  if (!response.ok) {
    console.error(`${url} answered ${response.status}: ${answer}`)
    return 1
  }
  console.log(`Published to ${name} through ${url}: ${answer}`)
  return 0
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error((error as Error).message)
  return 1
})
