// The app's one error handler and its not-found handler.
// htmx asked (HX-Request header) → a small HTML fragment; anyone else → JSON.
// 4xx errors say what was wrong; 503s keep their code and Retry-After and are not logged as
// errors; other 5xx errors are logged and say nothing internal (except in development).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { DependencyUnavailableError } from '../util/dependency-error.js'
import { BadParameterError, DEFAULT_RETRY_AFTER_S, TimeoutError, UNAVAILABLE, type HttpError } from '../errors.js'
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

/** Seconds to wait before retrying, from the error (retryAfterSeconds, or a Retry-After header it carries). */
function retryAfterOf (error: FastifyError & HttpError & { headers?: Record<string, unknown> }): string | undefined {
  const seconds = error.retryAfterSeconds
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return String(Math.ceil(seconds))
  const header = error.headers?.['retry-after'] ?? error.headers?.['Retry-After']
  return typeof header === 'string' || typeof header === 'number' ? String(header) : undefined
}

export function installErrorHandlers (fastify: FastifyInstance): void {
  // A client over its rate limit may send thousands of requests a second: not one line each.
  const rateLimited = new LogLimiter(fastify.log, 'rate-limited requests')
  // Nor a client refused while the server is full or a dependency is down.
  const unavailable = new LogLimiter(fastify.log, 'unavailable answers')
  // Development only: a server error shows its code and message where it happened (the page or
  // fragment), so an author sees why a component failed without reading the log.
  // Read when an error happens: the handlers are installed before the config plugin decorates.
  const showServerErrors = (): boolean => fastify.hasDecorator('config') && fastify.config.NODE_ENV === 'development'
  fastify.setErrorHandler(async (error: FastifyError & HttpError, request, reply) => {
    const dependency = unavailableDependency(error)
    if (dependency !== undefined) {
      // The details (driver messages, URLs) go to the log; the caller learns what is down and when to retry.
      request.log.warn({ err: error, dependency: dependency.name }, 'request failed: a dependency is unavailable')
      reply.header('Retry-After', String(dependency.retryAfterSeconds))
      return await sendError(request, reply, 503, `${capitalized(dependency.name)} is unavailable right now; try again in ${dependency.retryAfterSeconds} s.`, UNAVAILABLE)
    }
    if (Array.isArray(error.validation) && error.validation.length > 0) {
      // A route's TypeBox schema refused the request: name the parameter and what it accepts,
      // with the same stable code as component routes (not Ajv's wording alone).
      request.log.info({ err: { message: error.message, code: error.code }, status: 400 }, 'request rejected')
      return await sendError(request, reply, 400, validationMessage(error), new BadParameterError('').code)
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    const code = typeof error.code === 'string' ? error.code : undefined
    const retryAfter = retryAfterOf(error)
    if (retryAfter !== undefined) reply.header('Retry-After', retryAfter)
    // 503 from any layer (a full server, a channel whose broker is down, shutting down): the
    // client is told what and when to retry; it is not a fault of ours, so not an error line.
    if (status === 503) {
      unavailable.warn({ err: { message: error.message, code }, url: request.url.split('?')[0] }, 'request refused: service unavailable')
      return await sendError(request, reply, status, error.message, code ?? UNAVAILABLE)
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      if (showServerErrors()) return await sendError(request, reply, status, `${code === undefined ? '' : `${code}: `}${error.message}`, code)
      return await sendError(request, reply, status, 'Something went wrong on our side; it has been logged.')
    }
    if (status === 429) rateLimited.warn({ ip: request.ip, url: request.url.split('?')[0], code }, 'request refused: rate limit exceeded')
    else request.log.info({ err: { message: error.message, code }, status }, 'request rejected')
    return await sendError(request, reply, status, error.message, code)
  })

  fastify.setNotFoundHandler(async (request, reply) => {
    return await sendError(request, reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`)
  })
}
