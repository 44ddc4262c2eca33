// Child processes of a benchmark run: pinned to a core, tracked, and always ended.
// Every process started here is registered so Ctrl-C, an error or a normal exit ends it
// (by its own pid, SIGTERM then SIGKILL), and nothing outlives the run.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'

const children = new Map() // pid -> { child, name }
const cleanups = [] // async functions run once at exit (drop databases, close clients)

export const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0
export const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

/**
 * Spawns `command args` pinned to `core` (taskset execs the command, so the pid is the
 * program's own). `ipc` adds a Node IPC channel (advanced serialization).
 */
export function spawnPinned (name, core, command, args, { env = process.env, ipc = false, cwd, quiet = false, capture = false } = {}) {
  // sh raises the soft open-files limit to the hard one (Node has no setrlimit), then execs
  // taskset, which execs the program: the pid stays the program's own.
  const pin = hasTaskset && core !== undefined ? ['taskset', '-c', String(core)] : []
  const argv = ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...pin, command, ...args]]
  const stdio = ['ignore', capture ? 'pipe' : quiet ? 'ignore' : 'inherit', 'pipe']
  if (ipc) stdio.push('ipc')
  const child = spawn(argv[0], argv[1], { env, cwd, stdio, serialization: ipc ? 'advanced' : 'json' })
  // stderr is kept (last 8 KB) so a server that dies can say why.
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-8192)
    if (!quiet) process.stderr.write(`[${name}] ${d}`)
  })
  child.stderrTail = () => stderr
  child.benchName = name
  children.set(child.pid, { child, name })
  child.once('exit', () => children.delete(child.pid))
  return child
}

/** Ends one child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export function stopChild (child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { child.kill('SIGKILL') } catch {} }, graceMs)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    try { child.kill('SIGTERM') } catch { clearTimeout(timer); resolve() }
  })
}

export function onCleanup (fn) { cleanups.push(fn) }

let cleaning = null
export function cleanupAll () {
  cleaning ??= (async () => {
    await Promise.all([...children.values()].map(({ child }) => stopChild(child, 2000)))
    for (const fn of cleanups.splice(0).reverse()) {
      try { await fn() } catch (error) { console.error('cleanup:', error.message) }
    }
  })()
  return cleaning
}

export function installSignalCleanup () {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping benchmark processes...`)
      const hardStop = setTimeout(() => process.exit(130), 10_000)
      hardStop.unref()
      cleanupAll().finally(() => process.exit(130))
    })
  }
  // Last resort on a plain exit: kill synchronously whatever is still registered.
  process.once('exit', () => {
    for (const { child } of children.values()) { try { child.kill('SIGKILL') } catch {} }
  })
}

/** CPU seconds (user+system, all threads) and RSS bytes of a process, from /proc. */
export function procStats (pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    return { cpuSeconds, rssBytes: rssKb * 1024 }
  } catch {
    return { cpuSeconds: NaN, rssBytes: NaN }
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineBusySeconds () {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/**
 * Measures CPU use between the call and calling the returned function: per pid, as a
 * fraction of one core, plus `foreign`: what every OTHER process on the machine used (other
 * work competing with the benchmark makes its figures unreliable).
 */
export function cpuMeter (pids) {
  const start = new Map(pids.map((pid) => [pid, procStats(pid).cpuSeconds]))
  const machineStart = machineBusySeconds()
  const t0 = performance.now()
  return () => {
    const seconds = (performance.now() - t0) / 1000
    const out = {}
    let ours = 0
    for (const pid of new Set(pids)) {
      out[pid] = (procStats(pid).cpuSeconds - start.get(pid)) / seconds
      if (Number.isFinite(out[pid])) ours += out[pid]
    }
    out.foreign = Math.max(0, (machineBusySeconds() - machineStart) / seconds - ours)
    return out
  }
}

/** Resolves once something accepts TCP connections on host:port (bounded by timeoutMs). */
export async function waitForPort (port, host, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`${child.benchName} exited with code ${child.exitCode} before listening:\n${child.stderrTail()}`)
    }
    const ok = await new Promise((resolve) => {
      const socket = net.connect({ port, host })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await sleep(100)
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`)
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort () {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Pins this process (all its threads) to `core`; children it spawns inherit that. */
export function pinSelf (core) {
  if (!hasTaskset) return false
  return spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0
}

/** The open-files limits a child started by spawnPinned gets (soft is raised to hard there). */
export function openFilesLimit () {
  const out = spawnSync('sh', ['-c', 'ulimit -n; ulimit -Hn'], { encoding: 'utf8' }).stdout.trim().split('\n')
  return { soft: Number(out[0]), hard: out[1] === 'unlimited' ? Infinity : Number(out[1]) }
}
