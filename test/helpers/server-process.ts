// The real service as a child process: from the build (`node dist/src/server.js`, as in
// production; the browser tests) or from source through tsx (no build needed). Its output is kept
// so a failing test can show what the server said. Every child still running when the test
// process exits is killed, so no server outlives the tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { projectRoot } from '../../src/paths.js'
import { sleep } from './wait.js'

export const SERVER_ENTRY = join(projectRoot, 'dist', 'src', 'server.js')
const SOURCE_ENTRY = join(projectRoot, 'src', 'server.ts')

const READY_LINE = /running at (https?:\/\/\S+)/
const MAX_LOG_CHARS = 512 * 1024

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** Only what the server needs: nothing leaks in from the test runner's environment. */
export function serverEnv (vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...vars }
}

function command (entry: 'build' | 'source'): string[] {
  return entry === 'build' ? [SERVER_ENTRY] : ['--import', 'tsx', SOURCE_ENTRY]
}

export interface ServerStartOptions {
  /** Shown in logs and errors ("server A", "server A (restarted)"). */
  name: string
  /** 0 (default): the server picks one and its URL is read from its "running at" line. */
  port?: number
  /** Environment variables for the server (PORT and HOST are set from port). */
  env: Record<string, string>
  /** How long start-up may take (migrations included; default 30 s). */
  timeoutMs?: number
  /** 'build' (default): dist/, run `npm run build` first; 'source': src/ through tsx. */
  entry?: 'build' | 'source'
}

export interface ServerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export class ServerProcess {
  private output = ''
  readonly exited: Promise<ServerExit>
  private exitInfo: ServerExit | null = null
  #url: string

  private constructor (readonly name: string, url: string, readonly child: ChildProcess) {
    this.#url = url
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

  /** Starts the server and resolves once it printed its URL and (over HTTP) answers GET /health. */
  static async start (options: ServerStartOptions): Promise<ServerProcess> {
    const { name, port = 0, env } = options
    const child = spawn(process.execPath, command(options.entry ?? 'build'), {
      cwd: projectRoot,
      env: serverEnv({ ...env, HOST: '127.0.0.1', PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const server = new ServerProcess(name, port === 0 ? '' : `http://127.0.0.1:${port}`, child)
    try {
      await server.waitReady(options.timeoutMs ?? 30_000)
    } catch (error) {
      await server.kill()
      throw new Error(`${name} did not start: ${(error as Error).message}\n--- ${name} output ---\n${server.logs()}`)
    }
    return server
  }

  /** Its base URL, without the trailing slash (http://127.0.0.1:<port>, https:// with TLS). */
  get url (): string {
    return this.#url
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
      await sleep(50)
    }
    const announced = (READY_LINE.exec(this.output)?.[1] ?? '').replace(/\/$/, '')
    if (this.#url === '') this.#url = announced
    else if (announced !== this.#url) throw new Error(`it announced ${announced}/, expected ${this.#url}/`)
    if (!this.#url.startsWith('http:')) return // TLS with a test certificate: the caller checks it
    // …then the health route, the same check a load balancer makes.
    let last = ''
    while (Date.now() <= deadline) {
      if (!this.running) throw new Error(`it exited (${JSON.stringify(this.exitInfo)}) before /health answered`)
      try {
        const response = await fetch(`${this.#url}/health`, { signal: AbortSignal.timeout(2000) })
        if (response.ok) return
        last = `GET /health answered ${response.status}`
      } catch (error) {
        last = `GET /health failed: ${(error as Error).message}`
      }
      await sleep(100)
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

/**
 * Runs src/server.ts (through tsx, no build needed) on a free port with the given environment
 * (quiet, no demo publisher unless env says otherwise); killed when the test ends.
 */
export async function startServer (t: TestContext, env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const { PORT, ...rest } = env
  const server = await ServerProcess.start({
    name: 'server',
    entry: 'source',
    port: PORT === undefined ? 0 : Number(PORT),
    env: { LOG_LEVEL: 'warn', DEMO_PUBLISHER: 'off', ...rest },
    timeoutMs
  })
  t.after(() => server.kill())
  return server
}

/** Runs src/server.ts expecting it to exit by itself (a refused start); returns its exit code and output. */
export async function runServerToExit (env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, command('source'), {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit')
  return { code: code as number | null, output }
}
