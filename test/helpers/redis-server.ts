// A redis-server of the test's own, on a free port, for fault tests: killed, restarted (empty:
// no persistence), frozen (SIGSTOP) and thawed. Never the shared Redis on 6379.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { freePort } from './ports.js'
import { skipUnavailable } from './services.js'

export class OwnRedis {
  private child: ChildProcess | null = null

  private constructor (readonly port: number) {}

  get url (): string { return `redis://127.0.0.1:${this.port}` }

  /** Starts one, or skips the test (fails under CI) when redis-server is not installed. */
  static async start (t: TestContext): Promise<OwnRedis | undefined> {
    if (spawnSync('redis-server', ['--version']).status !== 0) {
      return skipUnavailable(t, 'redis-server is not installed', 'install it to run the fault tests (Debian: apt-get install redis-server)')
    }
    const redis = new OwnRedis(await freePort())
    t.after(() => redis.kill())
    await redis.restart()
    return redis
  }

  /** (Re)starts the server, empty, on the same port, and waits until it answers. */
  async restart (): Promise<void> {
    if (this.child !== null) throw new Error('redis-server is already running')
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' })
    this.child = child
    child.once('exit', () => { if (this.child === child) this.child = null })
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    probe.on('error', () => {})
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await probe.connect()
          await probe.ping()
          return
        } catch (error) {
          if (attempt > 200) throw new Error(`redis-server on port ${this.port} did not come up: ${(error as Error).message}`)
          probe.disconnect()
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
    } finally {
      probe.disconnect()
    }
  }

  /** SIGKILL: no goodbye to clients, and (without persistence) all data gone. */
  async kill (): Promise<void> {
    const child = this.child
    if (child === null) return
    this.child = null
    child.kill('SIGCONT')
    child.kill('SIGKILL')
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
  }

  /** SIGSTOP: connections stay open, nothing is answered. */
  freeze (): void { this.child?.kill('SIGSTOP') }
  thaw (): void { this.child?.kill('SIGCONT') }
}
