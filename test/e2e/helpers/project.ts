// The project steps a person runs before starting the service: build it (`npm run build`)
// and seed contacts (`npm run db:seed -- --count N`). Both run as child processes, like the
// README's commands; their output is part of the error when they fail.
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { projectRoot } from '../../../src/paths.js'
import { serverEnv } from '../../helpers/server-process.js'

interface RunResult {
  code: number | null
  output: string
}

async function run (args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  const child = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const timer = setTimeout(() => {
    output += `\n[killed after ${timeoutMs} ms]`
    child.kill('SIGKILL')
  }, timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(timer)
  return { code, output }
}

/**
 * `npm run build` (tsc → dist/), so the server under test is the current source. dist/ is emptied
 * first, as npm's prebuild does: a component folder deleted from the source must not linger there.
 */
export async function buildProject (): Promise<void> {
  rmSync(join(projectRoot, 'dist'), { recursive: true, force: true })
  const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const { code, output } = await run([tsc, '-p', 'tsconfig.build.json'], serverEnv({}), 120_000)
  if (code !== 0) throw new Error(`npm run build failed (exit ${code}):\n${output}`)
  // As `npm run build` does after tsc: dist/ gets its own package.json (the '#flc' map).
  const written = await run([join('scripts', 'write-dist-package.mjs')], serverEnv({}), 30_000)
  if (written.code !== 0) throw new Error(`scripts/write-dist-package.mjs failed (exit ${written.code}):\n${written.output}`)
}

/** `npm run db:seed -- --count N` against the given database (which it migrates first). */
export async function seedContacts (databaseUrl: string, count: number): Promise<void> {
  const { code, output } = await run(
    ['--import', 'tsx', join('prisma', 'seed.ts'), '--count', String(count)],
    serverEnv({ DATABASE_URL: databaseUrl }),
    60_000
  )
  if (code !== 0) throw new Error(`db:seed failed (exit ${code}):\n${output}`)
}

export interface ContactRow {
  id: number
  name: string
  email: string
  status: string
}

/** The contacts as stored, in id order: what the page must show, row for row. */
export async function readContacts (databaseUrl: string): Promise<ContactRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: number, first_name: string, last_name: string, email: string, status: string }>(
      'SELECT id, first_name, last_name, email, status::text AS status FROM contacts ORDER BY id'
    )
    return rows.map((r) => ({ id: r.id, name: `${r.first_name} ${r.last_name}`, email: r.email, status: r.status }))
  } finally {
    await client.end()
  }
}
