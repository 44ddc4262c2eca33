// HTML forms (application/x-www-form-urlencoded), as htmx and plain browsers post them.
// fast-querystring (formbody's parser) keeps a field whose %-escapes are not UTF-8 as its raw
// text ("a%ED%A0%80b" would be stored as typed): such a body is refused with 400 instead, as no
// browser sends one.
import fp from 'fastify-plugin'
import formbody from '@fastify/formbody'
import { parse } from 'fast-querystring'
import type { FastifyInstance } from 'fastify'
import { BadParameterError } from '../../src/errors.js'

export function parseForm (body: string): Record<string, unknown> {
  if (body.includes('%')) {
    for (const field of body.split('&')) {
      try {
        decodeURIComponent(field)
      } catch {
        throw new BadParameterError(`The form field "${field.slice(0, 40)}" is not valid URL encoding (a %-escape that is not UTF-8).`)
      }
    }
  }
  return parse(body)
}

async function formbodyPlugin (fastify: FastifyInstance) {
  await fastify.register(formbody, { bodyLimit: 16 * 1024, parser: parseForm })
}

export default fp(formbodyPlugin, { name: 'formbody' })
