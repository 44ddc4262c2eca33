// A private nginx (Debian's package) for tests: its own prefix, config and free port, in front
// of the given upstream ports, with deploy/nginx/flc-proxy.conf (what production uses) as its
// server block. Stopped when the test ends.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { freePort } from './ports.js'
import { skipUnavailable } from './services.js'

const root = join(import.meta.dirname, '..', '..')
export const PROXY_INCLUDE = join(root, 'deploy', 'nginx', 'flc-proxy.conf')

function findNginx (): string | undefined {
  const candidates = [process.env.NGINX_PATH, '/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'nginx'))]
  return candidates.find((path) => {
    if (path === undefined || path === '') return false
    try { accessSync(path, constants.X_OK); return true } catch { return false }
  })
}

export interface Nginx {
  url: string
  child: ChildProcess
  errorLog: () => Promise<string>
}

/** Starts nginx in front of 127.0.0.1:<ports>; undefined when nginx is absent (test skipped). */
export async function startNginx (t: TestContext, upstreamPorts: number[]): Promise<Nginx | undefined> {
  const binary = findNginx()
  if (binary === undefined) {
    return skipUnavailable(t, 'nginx is not installed', 'Debian: apt-get install nginx-light; or set NGINX_PATH')
  }
  const prefix = await mkdtemp(join(tmpdir(), 'flc-nginx-'))
  t.after(() => rm(prefix, { recursive: true, force: true }))
  const port = await freePort()
  const config = `
${process.getuid?.() === 0 ? 'user root root;' : ''}
daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
worker_rlimit_nofile 4096;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream flc_app {
${upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join('\n')}
    keepalive 32;
    keepalive_timeout 5s;
  }
  server {
    listen 127.0.0.1:${port};
    include ${PROXY_INCLUDE};
  }
}
`
  await writeFile(join(prefix, 'nginx.conf'), config)
  const child = spawn(binary, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
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
