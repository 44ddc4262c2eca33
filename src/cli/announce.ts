// npm run announce -- <tag>... [--kind create|update|delete] [--id N]
// Tells every running instance that data changed outside the app (SQL by hand, an import):
// each live component of these tags updates once in every open page. It runs the one documented
// command against the app's Redis (REDIS_URL or REDIS_CLUSTER_NODES, with CHANNEL_PREFIX):
//   XADD <prefix>broadcast:announcements MAXLEN ~ 10000 * change '{"tags":[…],"kind":…,"id":…}'
// Exit codes: 0 announced, 1 Redis failed, 2 bad arguments or configuration.
import { ConfigError, loadConfig } from '../config.js'
import type { Change } from '../components/define.js'
import type { LiveLogger } from '../live/broker.js'
import { announceOnce, announcementsKey } from '../live/announcements.js'
import { parseChange } from '../live/broadcasts.js'

const USAGE = 'usage: npm run announce -- <tag>... [--kind create|update|delete] [--id N]   e.g. npm run announce -- contacts contact:42 --kind update --id 42'

class UsageError extends Error {}

/** The change the arguments describe, checked as the app will check it. */
function changeFromArgs (args: readonly string[]): Change {
  const tags: string[] = []
  let kind: string | undefined
  let id: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [flag, inline] = arg.startsWith('--') ? arg.split('=', 2) as [string, string | undefined] : [arg, undefined]
    if (flag === '--kind' || flag === '--id') {
      const value = inline ?? args[++i]
      if (value === undefined) throw new UsageError(`${flag} needs a value. ${USAGE}`)
      if (flag === '--kind') kind = value
      else id = value
    } else if (arg.startsWith('-')) {
      throw new UsageError(`Unknown option "${arg}". ${USAGE}`)
    } else {
      tags.push(arg)
    }
  }
  const candidate = { tags, ...(kind === undefined ? {} : { kind }), ...(id === undefined ? {} : { id: /^\d+$/.test(id) ? Number(id) : id }) }
  const change = parseChange(JSON.stringify(candidate))
  if (change === undefined) {
    throw new UsageError(`Not a valid change: ${JSON.stringify(candidate)} (tags: 1-50 of letters, digits, _ . : -; --kind create, update or delete; --id a positive integer). ${USAGE}`)
  }
  return change
}

const quiet: LiveLogger = { debug () {}, info () {}, warn () {}, error () {} }

async function main (): Promise<number> {
  let config, change
  try {
    config = loadConfig(process.env)
    change = changeFromArgs(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ConfigError)) throw error
    console.error(error.message)
    return 2
  }
  const clusterNodes = config.REDIS_CLUSTER_NODES?.split(',')
  if (config.REDIS_URL === undefined && clusterNodes === undefined) {
    console.error('Neither REDIS_URL nor REDIS_CLUSTER_NODES is set: the app runs with its in-process broker, which nothing outside the process can reach. ' +
      'Announce from code in the app (fastify.broadcasts.announce(tags, change)); open pages show outside writes on reload.')
    return 2
  }
  try {
    const id = await announceOnce({ url: config.REDIS_URL, clusterNodes }, config.CHANNEL_PREFIX, change, quiet)
    console.log(`Announced ${JSON.stringify(change)} as ${id} in ${announcementsKey(config.CHANNEL_PREFIX)}`)
    return 0
  } catch (error) {
    console.error(`announce: ${(error as Error).message}`)
    return 1
  }
}

process.exitCode = await main()
