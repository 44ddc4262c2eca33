// The app's one error handler and its not-found handler.
// htmx asked (HX-Request header) → a small HTML fragment; anyone else → JSON.
// 4xx errors say what was wrong; 5xx errors are logged and say nothing internal.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { DEFAULT_RETRY_AFTER_S, DependencyUnavailableError } from '../util/dependency-error.js'
import { TimeoutError } from '../util/timeout.js'
import { StreamRefusedError } from '../live/stream-limits.js'
import { LogLimiter } from '../util/log-limiter.js'

/** The dependency an error says is down, or undefined for any other error. */
function unavailableDependency (error: unknown): { name: string, retryAfterSeconds: number } | undefined {
  if (error instanceof DependencyUnavailableError) return { name: error.dependency, retryAfterSeconds: error.retryAfterSeconds }
  if (error instanceof TimeoutError) return { name: error.what, retryAfterSeconds: DEFAULT_RETRY_AFTER_S }
  if (isDatabaseUnavailable(error)) return { name: 'the database', retryAfterSeconds: DEFAULT_RETRY_AFTER_S }
  return undefined
}

interface ValidationIssue { keyword?: string, instancePath?: string, message?: string, params?: Record<string, unknown> }

/** "status (in the body) must be one of: active, inactive" from Fastify's validation error. */
function validationMessage (error: FastifyError): string {
  const issues = (error.validation ?? []) as ValidationIssue[]
  const first = issues[0] ?? {}
  const missing = first.params?.missingProperty
  const name = typeof missing === 'string' ? missing : (first.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const where = error.validationContext === undefined ? '' : ` (in the ${error.validationContext === 'querystring' ? 'query string' : error.validationContext})`
  const allowed = issues.filter((i) => i.keyword === 'const' && i.instancePath === first.instancePath).map((i) => String(i.params?.allowedValue))
  if (name === '') return `The request${where} is invalid: ${first.message ?? error.message}`
  if (allowed.length > 1) return `${name}${where} must be one of: ${allowed.join(', ')}`
  return `${name}${where} ${typeof missing === 'string' ? 'is required' : (first.message ?? 'is invalid')}`
}

function capitalized (text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function escapeHtml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

/** code: the stable error code (e.g. FLC_DUPLICATE_EMAIL), in the JSON body and as data-code. */
export async function sendError (request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string, code?: string): Promise<FastifyReply> {
  const error = STATUS_TEXT[statusCode] ?? (statusCode >= 500 ? 'Internal Server Error' : 'Bad Request')
  reply.code(statusCode)
  const codeAttribute = code === undefined ? '' : ` data-code="${escapeHtml(code)}"`
  const fragment = `<div class="flc-error" role="alert" data-status="${statusCode}"${codeAttribute}>${escapeHtml(message)}</div>\n`
  if (request.headers['hx-request'] === 'true') {
    return await reply.type('text/html; charset=utf-8').send(fragment)
  }
  // A person who typed a URL gets a page; programs (no text/html in Accept) get JSON.
  if ((request.headers.accept ?? '').includes('text/html')) {
    return await reply.type('text/html; charset=utf-8').send(
      `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${statusCode} ${error}</title>` +
      `<link rel="stylesheet" href="/static/app.css"></head><body><main><h1>${statusCode} ${error}</h1>${fragment}` +
      '<p><a href="/">Back to the start page</a></p></main></body></html>\n')
  }
  return await reply.send(code === undefined ? { statusCode, error, message } : { statusCode, code, error, message })
}

export function installErrorHandlers (fastify: FastifyInstance): void {
  // A client over its rate limit may send thousands of requests a second: not one line each.
  const rateLimited = new LogLimiter(fastify.log, 'rate-limited requests')
  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof StreamRefusedError) {
      // Logged (rate-limited) where it was refused. The socket is closed after the answer: a
      // client hammering the stream route must not keep thousands of idle sockets (files) open.
      reply.header('Retry-After', String(error.retryAfterSeconds)).header('Connection', 'close')
      return await sendError(request, reply, error.statusCode, error.message, typeof error.code === 'string' ? error.code : undefined)
    }
    const dependency = unavailableDependency(error)
    if (dependency !== undefined) {
      // The details (driver messages, URLs) go to the log; the caller learns what is down and when to retry.
      request.log.warn({ err: error, dependency: dependency.name }, 'request failed: a dependency is unavailable')
      reply.header('Retry-After', String(dependency.retryAfterSeconds))
      return await sendError(request, reply, 503, `${capitalized(dependency.name)} is unavailable right now; try again in ${dependency.retryAfterSeconds} s.`, 'FLC_UNAVAILABLE')
    }
    if (Array.isArray(error.validation) && error.validation.length > 0) {
      // A route's TypeBox schema refused the request: name the parameter and what it accepts,
      // with the same stable code as component routes (not Ajv's wording alone).
      request.log.info({ err: { message: error.message, code: error.code }, status: 400 }, 'request rejected')
      return await sendError(request, reply, 400, validationMessage(error), 'FLC_BAD_PARAMETER')
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      return await sendError(request, reply, status, 'Something went wrong on our side; it has been logged.')
    }
    if (status === 429) rateLimited.warn({ ip: request.ip, url: request.url.split('?')[0] }, 'request refused: rate limit exceeded')
    else request.log.info({ err: { message: error.message, code: error.code }, status }, 'request rejected')
    return await sendError(request, reply, status, error.message, typeof error.code === 'string' ? error.code : undefined)
  })

  fastify.setNotFoundHandler(async (request, reply) => {
    return await sendError(request, reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`)
  })
}
