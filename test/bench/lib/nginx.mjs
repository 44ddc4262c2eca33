// nginx for the benchmarks: its own prefix and config (nginx-config.mjs, shared with the tests)
// in front of the given ports, pinned like a server. Ended at cleanup.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findNginx, nginxArgs, nginxConfig } from './nginx-config.mjs'
import { freePort, spawnPinned, stopChild, waitForPort } from './procs.mjs'

export { findNginx }

export async function startNginx ({ ports, dir, core, host = '127.0.0.1' }) {
  const binary = findNginx()
  if (binary === null) throw new Error('nginx is not installed (apt-get install nginx-light, or NGINX_PATH)')
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  // Sized for the benchmarks' thousands of streams.
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig({ prefix: dir, port, upstreamPorts: ports, host, workerConnections: 9000, openFiles: 20000, backlog: 4096 }))
  const child = spawnPinned('nginx', core, binary, nginxArgs(dir), { quiet: true })
  try {
    await waitForPort(port, host, 10_000, child)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  return { port, pid: child.pid, stop: () => stopChild(child, 3000) }
}
