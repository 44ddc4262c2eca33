// The real service as a child process (`node dist/src/server.js`), as it runs in production.
// Its output is kept so a failing test can show what the server said. Every child still
// running when the test process exits is killed, so no server outlives the tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { projectRoot } from '../../../src/paths.js'

export const SERVER_ENTRY = join(projectRoot, 'dist', 'src', 'server.js')

const READY_LINE = /running at (http:\/\/\S+)/
const MAX_LOG_CHARS = 512 * 1024

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort (): Promise<number> {
  const probe = createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const address = probe.address()
  probe.close()
  await once(probe, 'close')
  if (address === null || typeof address === 'string') throw new Error('could not get a free port')
  return address.port
}

/** Only what the server needs: nothing leaks in from the test runner's environment. */
export function serverEnv (vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...vars }
}

export interface ServerStartOptions {
  /** Shown in logs and errors ("server A", "server A (restarted)"). */
  name: string
  port: number
  /** Environment variables for the server (PORT and HOST are set from port). */
  env: Record<string, string>
  /** How long start-up may take (migrations included). */
  timeoutMs?: number
}

export interface ServerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export class ServerProcess {
  private output = ''
  readonly exited: Promise<ServerExit>
  private exitInfo: ServerExit | null = null

  private constructor (readonly name: string, readonly url: string, private readonly child: ChildProcess) {
    running.add(child)
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child)
        this.exitInfo = { code, signal }
        this.append(`[${name} exited: code ${code}, signal ${signal}]\n`)
        resolve(this.exitInfo)
      })
    })
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk))
  }

  /** Starts the server and resolves once it printed its URL and answers GET /health. */
  static async start (options: ServerStartOptions): Promise<ServerProcess> {
    const { name, port, env } = options
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      cwd: projectRoot,
      env: serverEnv({ ...env, HOST: '127.0.0.1', PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const server = new ServerProcess(name, `http://127.0.0.1:${port}`, child)
    try {
      await server.waitReady(options.timeoutMs ?? 30_000)
    } catch (error) {
      await server.kill()
      throw new Error(`${name} did not start: ${(error as Error).message}\n--- ${name} output ---\n${server.logs()}`)
    }
    return server
  }

  get running (): boolean {
    return this.exitInfo === null
  }

  logs (): string {
    return this.output
  }

  private append (text: string): void {
    this.output += text
    if (this.output.length > MAX_LOG_CHARS) this.output = this.output.slice(-MAX_LOG_CHARS)
  }

  private async waitReady (timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    // The announced URL first (the server printed it after listen())…
    while (!READY_LINE.test(this.output)) {
      if (!this.running) throw new Error(`it exited (${JSON.stringify(this.exitInfo)}) before announcing its URL`)
      if (Date.now() > deadline) throw new Error(`no "running at http://…" line within ${timeoutMs} ms`)
      await delay(50)
    }
    const announced = READY_LINE.exec(this.output)?.[1]
    if (announced?.replace(/\/$/, '') !== this.url) throw new Error(`it announced ${announced}, expected ${this.url}/`)
    // …then the health route, the same check a load balancer makes.
    let last = ''
    while (Date.now() <= deadline) {
      if (!this.running) throw new Error(`it exited (${JSON.stringify(this.exitInfo)}) before /health answered`)
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) })
        if (response.ok) return
        last = `GET /health answered ${response.status}`
      } catch (error) {
        last = `GET /health failed: ${(error as Error).message}`
      }
      await delay(100)
    }
    throw new Error(`not healthy within ${timeoutMs} ms (${last})`)
  }

  /**
   * Sends SIGTERM (a graceful shutdown: live streams end, clients reconnect elsewhere or later)
   * and waits for the exit; SIGKILL if it takes longer than graceMs.
   */
  async stop (graceMs = 15_000): Promise<ServerExit> {
    if (!this.running) return this.exitInfo as ServerExit
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => {
      this.append(`[${this.name} did not exit within ${graceMs} ms of SIGTERM: SIGKILL]\n`)
      this.child.kill('SIGKILL')
    }, graceMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Ends it at once (cleanup after a failure). */
  async kill (): Promise<void> {
    if (!this.running) return
    this.child.kill('SIGKILL')
    await this.exited
  }
}

export async function delay (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
