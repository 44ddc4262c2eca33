// npm run announce -- <tag>... [--kind create|update|delete] [--id N]
// Tells every running instance that data changed outside the app (SQL by hand, an import):
// each live component of these tags updates once in every open page. It runs the one documented
// command against the app's Redis (REDIS_URL or REDIS_CLUSTER_NODES, with CHANNEL_PREFIX):
//   XADD <prefix>broadcast:announcements MAXLEN ~ 10000 * change '{"tags":[…],"kind":…,"id":…}'
// Exit codes: 0 announced, 1 Redis failed, 2 bad arguments or configuration.
import { ConfigError, loadConfig } from '../config.js'
import type { Change } from '../components/define.js'
import type { LiveLogger } from '../live/broker/broker.js'
import { announceOnce, announcementsKey } from '../live/announce/announcements.js'
import { parseChange } from '../live/announce/broadcasts.js'

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
  // Say which argument is wrong before the whole change is checked as the app checks it.
  if (tags.length === 0) throw new UsageError(`At least one tag is required. ${USAGE}`)
  const badTag = tags.find((tag) => !/^[A-Za-z0-9_.:-]{1,100}$/.test(tag))
  if (badTag !== undefined) throw new UsageError(`Tag ${JSON.stringify(badTag)} is invalid: 1-100 letters, digits or _ . : - (e.g. contacts, contact:42). ${USAGE}`)
  if (kind !== undefined && !['create', 'update', 'delete'].includes(kind)) throw new UsageError(`--kind ${JSON.stringify(kind)} is invalid: create, update or delete. ${USAGE}`)
  if (id !== undefined && !/^[1-9]\d{0,15}$/.test(id)) throw new UsageError(`--id ${JSON.stringify(id)} is invalid: a positive integer. ${USAGE}`)
  const candidate = { tags, ...(kind === undefined ? {} : { kind }), ...(id === undefined ? {} : { id: Number(id) }) }
  const change = parseChange(JSON.stringify(candidate))
  if (change === undefined) {
    throw new UsageError(`Not a valid change: ${JSON.stringify(candidate)} (tags: 1-50 of letters, digits, _ . : -; --kind create, update or delete; --id a positive integer). ${USAGE}`)
  }
  return change
}

const quiet: LiveLogger = { debug () {}, info () {}, warn () {}, error () {} }

async function main (): Promise<number> {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE)
    return 0
  }
  let config, change
  try {
    config = loadConfig(process.env)
    change = changeFromArgs(args)
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
    // Not the broker's start-up advice ("unset REDIS_URL"): the announcement needs this Redis.
    const reason = (error as Error).message.replace(/\.? Start Redis, fix REDIS_URL.*$/s, '')
    console.error(`announce: the announcement could not be written to Redis: ${reason}. Check REDIS_URL / REDIS_CLUSTER_NODES and that Redis answers, then run it again`)
    return 1
  }
}

process.exitCode = await main()
