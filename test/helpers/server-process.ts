// Runs src/server.ts as a real process (through tsx), as `npm start` would run the build.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import type { TestContext } from 'node:test'

const root = join(import.meta.dirname, '..', '..')

export interface ServerProcess {
  child: ChildProcess
  url: string
  output: () => string
  exited: Promise<number | null>
}

/** Starts the server with the given environment and waits for its "running at" line. */
export async function startServer (t: TestContext, env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'server.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', DEMO_PUBLISHER: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let text = ''
  child.stdout?.on('data', (chunk: Buffer) => { text += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { text += chunk.toString() })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const url = /running at (https?:\/\/\S+)/.exec(text)?.[1]
    if (url !== undefined) return { child, url, output: () => text, exited }
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${text}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`server did not start within ${timeoutMs} ms:\n${text}`)
}

/** Runs the server expecting it to exit by itself; returns its exit code and output. */
export async function runServerToExit (env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'server.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit')
  return { code: code as number | null, output }
}
