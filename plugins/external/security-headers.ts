// Security headers on every response (@fastify/helmet), with a strict Content-Security-Policy
// the pages satisfy:
// - scripts only from this origin: no inline <script>, no inline handlers, no eval (htmx is
//   configured by <meta name="htmx-config">: allowEval false, no injected indicator <style>);
// - styles only from this origin, no inline styles either: the notification's colour is a
//   data-color attribute (validated as a plain CSS colour) applied by the component's script
//   through the CSSOM, which CSP does not restrict;
// - no framing (frame-ancestors 'none'), nosniff, no Referer to other sites.
// The headers do not depend on the request: helmet derives them once, at start-up, and every
// request gets the same list (@fastify/helmet ran helmet's whole configuration per request).
// They are set on the raw response, as helmet does, so hijacked replies (SSE streams) carry them.
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'

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

export const SECURITY_HEADER_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  // Same-origin pages get the full URL, other sites only the origin, HTTP downgrades nothing.
  referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  // HSTS belongs to whoever terminates TLS (a proxy); on plain HTTP it means nothing.
  strictTransportSecurity: false
}

/** The headers helmet sets with these options, in its order: [name, value] pairs. */
export function securityHeaders (options: Readonly<HelmetOptions> = SECURITY_HEADER_OPTIONS): ReadonlyArray<readonly [string, string]> {
  const headers: Array<[string, string]> = []
  // Helmet's middleware only calls setHeader and removeHeader (X-Powered-By, which Node never
  // sets) on the response; it reads nothing of the request with these options.
  const recorder = {
    setHeader (name: string, value: unknown) { headers.push([name, String(value)]) },
    removeHeader () {}
  }
  let failure: unknown
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => { failure = error })
  if (failure !== undefined) throw failure
  return headers
}

async function securityHeadersPlugin (fastify: FastifyInstance) {
  const headers = securityHeaders()
  fastify.addHook('onRequest', (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const res = reply.raw
    for (const [name, value] of headers) res.setHeader(name, value)
    done()
  })
}

export default fp(securityHeadersPlugin, { name: 'security-headers', dependencies: ['config'] })
