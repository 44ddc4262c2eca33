// Opens the embedded PostgreSQL (PGlite) used when DATABASE_URL is unset.
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'

export interface OpenedPglite {
  db: PGlite
  /** True when this call ran initdb (new folder or in memory), false when it reopened a folder. */
  created: boolean
  /** Milliseconds spent opening: seconds when created (initdb), well under a second when reopened. */
  openMs: number
  /** Closes PGlite and gives the folder back. */
  close(): Promise<void>
}

/** True for PGlite's in-memory location ("memory://", optionally with a name). */
export function isInMemory (dataDir: string): boolean {
  return dataDir.startsWith('memory://')
}

export const OWNER_FILE = 'flc-owner.pid'
const claimedHere = new Set<string>()

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// PGlite happily opens a folder another process (or instance) has open, and two writers corrupt
// it: e.g. `npm run db:seed` while the server runs. An owner file with our pid prevents that.
async function claimFolder (dir: string): Promise<() => Promise<void>> {
  const ownerPath = join(dir, OWNER_FILE)
  const inUse = (by: string) => new Error(`The embedded database in ${dir} is already open in ${by}. ` +
    'PGlite allows one user at a time: stop that first, or use PostgreSQL (DATABASE_URL) to share a database. ' +
    `If no such process exists, delete ${ownerPath}.`)
  if (claimedHere.has(dir)) throw inUse('this process')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(ownerPath, String(process.pid), { flag: 'wx' })
      claimedHere.add(dir)
      return async () => {
        claimedHere.delete(dir)
        await rm(ownerPath, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number((await readFile(ownerPath, 'utf8').catch(() => '')).trim())
    // Our own pid in the file is a crashed earlier run reusing it (common as pid 1 in containers).
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
      throw inUse(`process ${owner}`)
    }
    await rm(ownerPath, { force: true })
  }
  throw inUse('another process that is starting at the same time')
}

/**
 * Opens PGlite in dataDir (relative to the working directory), creating the folder and its
 * parents first because PGlite does not create parents. "memory://" opens it in memory.
 */
export async function openPglite (dataDir: string): Promise<OpenedPglite> {
  const started = performance.now()
  if (isInMemory(dataDir)) {
    const db = await PGlite.create(dataDir)
    return { db, created: true, openMs: performance.now() - started, close: () => db.close() }
  }
  const dir = resolve(dataDir)
  const created = !existsSync(join(dir, 'PG_VERSION'))
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    throw new Error(`DATA_DIR=${dataDir} cannot be used as the database folder (${(error as Error).message}): point DATA_DIR at a folder this user may create and write`)
  }
  if (created) {
    // Never turn someone's folder with other files into a database cluster.
    const others = (await readdir(dir)).filter((name) => name !== OWNER_FILE)
    if (others.length > 0) {
      throw new Error(`DATA_DIR=${dataDir} is not empty and holds no database (found ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}): point DATA_DIR at an empty or new folder`)
    }
  }
  const release = await claimFolder(dir)
  let db: PGlite
  try {
    db = await PGlite.create(dir)
  } catch (error) {
    await release()
    throw new Error(`Cannot open the embedded database in ${dir} (DATA_DIR): ${(error as Error).message}. ` +
      'Point DATA_DIR at a writable folder that is empty or holds a PGlite database, or set DATABASE_URL.', { cause: error })
  }
  return {
    db,
    created,
    openMs: performance.now() - started,
    async close () {
      try {
        await db.close()
      } finally {
        await release()
      }
    }
  }
}
