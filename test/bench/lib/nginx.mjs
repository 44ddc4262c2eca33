// nginx for the benchmarks: its own prefix and config (deploy/nginx/flc-proxy.conf, what
// production uses) in front of the given ports, pinned like a server. Ended at cleanup.
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, spawnPinned, stopChild, waitForPort } from './procs.mjs'

const PROXY_INCLUDE = fileURLToPath(new URL('../../../deploy/nginx/flc-proxy.conf', import.meta.url))

export function findNginx () {
  for (const path of [process.env.NGINX_PATH, '/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'nginx'))]) {
    if (!path) continue
    try { accessSync(path, constants.X_OK); return path } catch {}
  }
  return null
}

export async function startNginx ({ ports, dir, core, host = '127.0.0.1' }) {
  const binary = findNginx()
  if (binary === null) throw new Error('nginx is not installed (apt-get install nginx-light, or NGINX_PATH)')
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  writeFileSync(join(dir, 'nginx.conf'), `
${process.getuid?.() === 0 ? 'user root root;' : ''}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 9000; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream flc_app {
${ports.map((p) => `    server ${host}:${p} max_fails=0;`).join('\n')}
    keepalive 32;
    keepalive_timeout 5s;
  }
  server {
    listen ${host}:${port} backlog=4096;
    include ${PROXY_INCLUDE};
  }
}
`)
  const child = spawnPinned('nginx', core, binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { quiet: true })
  try {
    await waitForPort(port, host, 10_000, child)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  return { port, pid: child.pid, stop: () => stopChild(child, 3000) }
}
