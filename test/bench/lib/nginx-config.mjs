// The nginx used by the tests and the benchmarks, written once: where the binary is, and the
// config that puts deploy/nginx/flc-proxy.conf (what production uses) in front of instances on
// the given ports, with every path inside a prefix folder of its own (no root, no /var).
// test/helpers/nginx.ts and test/bench/lib/nginx.mjs start it; types in nginx-config.d.mts.
import { accessSync, constants } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PROXY_INCLUDE = fileURLToPath(new URL('../../../deploy/nginx/flc-proxy.conf', import.meta.url))

/** NGINX_PATH, Debian's /usr/sbin/nginx, or nginx on PATH; null when there is none. */
export function findNginx () {
  for (const path of [process.env.NGINX_PATH, '/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'nginx'))]) {
    if (!path) continue
    try { accessSync(path, constants.X_OK); return path } catch {}
  }
  return null
}

/** nginx.conf for a proxy on host:port in front of host:<upstreamPorts>, everything under prefix. */
export function nginxConfig ({ prefix, port, upstreamPorts, host = '127.0.0.1', workerConnections = 2048, openFiles = 4096, backlog }) {
  return `
${process.getuid?.() === 0 ? 'user root root;' : ''}
daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
worker_rlimit_nofile ${openFiles};
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream flc_app {
${upstreamPorts.map((p) => `    server ${host}:${p} max_fails=0;`).join('\n')}
    keepalive 32;
    keepalive_timeout 5s;
  }
  server {
    listen ${host}:${port}${backlog === undefined ? '' : ` backlog=${backlog}`};
    include ${PROXY_INCLUDE};
  }
}
`
}

/** The command line that runs nginx on that prefix's config. */
export function nginxArgs (prefix) {
  return ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')]
}
