// A private nginx (Debian's package) for tests: its own prefix, config and free port, in front
// of the given upstream ports, with deploy/nginx/flc-proxy.conf (what production uses) as its
// server block; the config is the benchmarks' (test/bench/lib/nginx-config.mjs). Stopped when the test ends.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { freePort } from './ports.js'
import { skipUnavailable } from './services.js'
import { findNginx, nginxArgs, nginxConfig } from '../bench/lib/nginx-config.mjs'

export interface Nginx {
  url: string
  child: ChildProcess
  errorLog: () => Promise<string>
}

/** Starts nginx in front of 127.0.0.1:<ports>; undefined when nginx is absent (test skipped). */
export async function startNginx (t: TestContext, upstreamPorts: number[]): Promise<Nginx | undefined> {
  const binary = findNginx()
  if (binary === null) {
    return skipUnavailable(t, 'nginx is not installed', 'Debian: apt-get install nginx-light; or set NGINX_PATH')
  }
  const prefix = await mkdtemp(join(tmpdir(), 'flc-nginx-'))
  t.after(() => rm(prefix, { recursive: true, force: true }))
  const port = await freePort()
  await writeFile(join(prefix, 'nginx.conf'), nginxConfig({ prefix, port, upstreamPorts }))
  const child = spawn(binary, nginxArgs(prefix), { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = once(child, 'exit')
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })
  const errorLog = () => readFile(join(prefix, 'error.log'), 'utf8').catch(() => '')
  const url = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${await errorLog()}`)
    const up = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1', () => { probe.destroy(); resolve(true) })
      probe.once('error', () => resolve(false))
    })
    if (up) return { url, child, errorLog }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`nginx did not listen on ${port}: ${stderr}`)
}
