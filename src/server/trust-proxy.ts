// TRUST_PROXY → Fastify's trustProxy: whose X-Forwarded-For / -Proto / -Host to believe.
// Unset or "false": nobody's (request.ip is the peer address). Behind nginx (deploy/nginx.conf)
// set it to nginx's address or "1" (one proxy hop), never "true" on a port the internet reaches.
import type { FastifyServerOptions } from 'fastify'

export function trustProxyOption (value: string | undefined): FastifyServerOptions['trustProxy'] {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) {
    // A hop count: the last N addresses of the chain are proxies (what proxy-addr does with a number).
    const hops = Number(value)
    return (_address: string, hop: number) => hop < hops
  }
  return value.split(',').map((address) => address.trim())
}
