// Security headers on every response (@fastify/helmet), with a strict Content-Security-Policy
// the pages satisfy:
// - scripts only from this origin: no inline <script>, no inline handlers, no eval (htmx is
//   configured by <meta name="htmx-config">: allowEval false, no injected indicator <style>);
// - styles only from this origin, no inline styles either: the notification's colour is a
//   data-color attribute (validated as a plain CSS colour) applied by the component's script
//   through the CSSOM, which CSP does not restrict;
// - no framing (frame-ancestors 'none'), nosniff, no Referer to other sites.
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  styleSrcAttr: ["'none'"],
  // The page's icon is "data:," (no favicon request).
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  // The page stream's SharedWorker (one stream per browser, shared by its tabs).
  workerSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // Not upgrade-insecure-requests: a plain-HTTP deployment (or local run) would break.
  upgradeInsecureRequests: null
}

async function securityHeadersPlugin (fastify: FastifyInstance) {
  await fastify.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // Same-origin pages get the full URL, other sites only the origin, HTTP downgrades nothing.
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    // HSTS belongs to whoever terminates TLS (a proxy); on plain HTTP it means nothing.
    strictTransportSecurity: false
  })
}

export default fp(securityHeadersPlugin, { name: 'security-headers', dependencies: ['config'] })
