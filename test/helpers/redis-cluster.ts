// A private Redis Cluster for tests: 3 masters with one replica each, from the redis-server
// binary, on free ports in a temporary folder; every process is killed when the test ends.
// Never touches the shared Redis.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestContext } from 'node:test'
import { freePort } from './ports.js'
import { skipUnavailable } from './services.js'

const run = promisify(execFile)

export interface ClusterNode {
  port: number
  process: ChildProcess
  exited: Promise<unknown>
}

export interface TestCluster {
  nodes: ClusterNode[]
  /** Seed URLs, e.g. for REDIS_CLUSTER_NODES. */
  urls: string[]
  cli (port: number, ...args: string[]): Promise<string>
}

async function available (binary: string): Promise<boolean> {
  try {
    await run(binary, ['--version'])
    return true
  } catch {
    return false
  }
}

/** Starts the cluster; undefined when redis-server / redis-cli are missing (test skipped). */
export async function startRedisCluster (t: TestContext, nodeTimeoutMs = 1000): Promise<TestCluster | undefined> {
  if (!await available('redis-server') || !await available('redis-cli')) {
    return skipUnavailable(t, 'redis-server and redis-cli are needed for the cluster tests', 'Debian: apt-get install redis-server')
  }
  const dir = await mkdtemp(join(tmpdir(), 'flc-cluster-'))
  const nodes: ClusterNode[] = []
  t.after(async () => {
    for (const node of nodes) if (node.process.exitCode === null && node.process.signalCode === null) node.process.kill('SIGKILL')
    await Promise.all(nodes.map((node) => node.exited))
    await rm(dir, { recursive: true, force: true })
  })
  const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout
  for (let i = 0; i < 6; i++) {
    const port = await freePort()
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `dump-${port}.rdb`,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs),
      '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', '--protected-mode', 'no', '--loglevel', 'notice', '--logfile', join(dir, `${port}.log`)
    ], { stdio: 'ignore' })
    nodes.push({ port, process: child, exited: once(child, 'exit') })
  }
  for (const node of nodes) {
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await cli(node.port, 'ping')).trim() === 'PONG') break
      } catch {}
      if (attempt > 100) throw new Error(`redis-server on ${node.port} did not start`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'])
  for (let attempt = 0; ; attempt++) {
    const states = await Promise.all(nodes.map((n) => cli(n.port, 'cluster', 'info')))
    // Replicas must have synced, or a failover has nobody to promote.
    const links = await Promise.all(nodes.map((n) => cli(n.port, 'info', 'replication')))
    const synced = links.every((info) => info.includes('role:master') || info.includes('master_link_status:up'))
    if (synced && states.every((info) => info.includes('cluster_state:ok'))) break
    if (attempt > 300) throw new Error(`the cluster did not become ready: ${states.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { nodes, urls: nodes.map((n) => `redis://127.0.0.1:${n.port}`), cli }
}

/** The port of the master that serves a key's slot. */
export async function masterOf (cluster: TestCluster, key: string): Promise<number> {
  // Ask a node that is still running (a test may have killed some).
  const ask = cluster.nodes.find((n) => n.process.exitCode === null && n.process.signalCode === null)!.port
  const slot = Number((await cluster.cli(ask, 'cluster', 'keyslot', key)).trim())
  const lines = (await cluster.cli(ask, 'cluster', 'nodes')).trim().split('\n')
  for (const line of lines) {
    const [, address, flags, , , , , , ...slots] = line.split(' ')
    if (!flags!.includes('master') || flags!.includes('fail')) continue
    for (const range of slots) {
      const [from, to = from] = range.split('-').map(Number)
      if (slot >= from! && slot <= to!) return Number(address!.split(':')[1]!.split('@')[0])
    }
  }
  throw new Error(`no master serves slot ${slot}`)
}
