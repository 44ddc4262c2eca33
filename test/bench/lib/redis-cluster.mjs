// A private Redis Cluster for the benchmarks: 3 masters with one replica each, redis-server
// processes on free ports in a temporary folder (unpinned, like the shared Redis); stopped at
// cleanup. Returns the node URLs and pids (to meter the cluster's CPU).
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { freePort, onCleanup, sleep, spawnPinned, stopChild } from './procs.mjs'

const cli = (port, ...args) => execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' })

export async function startRedisCluster (dir) {
  mkdirSync(dir, { recursive: true })
  const nodes = []
  for (let i = 0; i < 6; i++) {
    const port = await freePort()
    const child = spawnPinned(`redis-cluster-${i}`, undefined, 'redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `dump-${port}.rdb`,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000',
      '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', '--protected-mode', 'no', '--loglevel', 'warning'
    ], { quiet: true })
    nodes.push({ port, child })
  }
  onCleanup(() => Promise.all(nodes.map((n) => stopChild(n.child, 2000))))
  for (const node of nodes) {
    for (let attempt = 0; ; attempt++) {
      try { if (cli(node.port, 'ping').trim() === 'PONG') break } catch {}
      if (attempt > 100) throw new Error(`redis-server on ${node.port} did not start`)
      await sleep(100)
    }
  }
  execFileSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { stdio: 'ignore' })
  for (let attempt = 0; ; attempt++) {
    const ok = nodes.every((n) => cli(n.port, 'cluster', 'info').includes('cluster_state:ok'))
    const synced = nodes.every((n) => { const info = cli(n.port, 'info', 'replication'); return info.includes('role:master') || info.includes('master_link_status:up') })
    if (ok && synced) break
    if (attempt > 300) throw new Error('the benchmark cluster did not become ready')
    await sleep(100)
  }
  return { urls: nodes.map((n) => `redis://127.0.0.1:${n.port}`), pids: nodes.map((n) => n.child.pid), version: cli(nodes[0].port, 'info', 'server').match(/redis_version:(\S+)/)?.[1] }
}
