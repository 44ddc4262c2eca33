// A component's own route: GET url answers the component as a fragment (reply.fragment). Its
// props schema is the route's schema, through the TypeBox type provider: props named in the URL
// (":page") are path parameters, the others the querystring. Fastify validates and converts
// them ("2" → 2) before the handler runs, so nothing is cast and bad input is a 400 naming the
// parameter.
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Component } from './define.js'
import { cleanStrings } from '../util/text.js'
import { BadParameterError } from '../errors.js'

export interface ComponentRouteOptions {
  /** The URL, e.g. '/contacts/:page'; each ":name" must be a prop of the component. */
  url: string
}

export { BadParameterError }

/** "page must be a whole number from 1 to 1000000000": the rule of the prop, not Ajv's one failed keyword. */
function describe (props: TObject, error: FastifySchemaValidationError): string {
  const missing = (error.params as { missingProperty?: unknown }).missingProperty
  const name = typeof missing === 'string' ? missing : error.instancePath.replace(/^\//, '').replace(/\//g, '.')
  if (typeof missing === 'string') return `${name} is required`
  const schema = props.properties[name] as (TSchema & { type?: unknown, minimum?: number, maximum?: number }) | undefined
  if (schema?.type === 'integer') {
    const range = schema.minimum === undefined ? '' : schema.maximum === undefined ? ` of at least ${schema.minimum}` : ` from ${schema.minimum} to ${schema.maximum}`
    return `${name} must be a whole number${range}`
  }
  return `${name === '' ? 'the request' : name} ${error.message ?? 'is invalid'}`
}

/** Path parameters of a Fastify URL: "/contacts/:page" → ["page"]. */
function paramNames (url: string): string[] {
  return [...url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string)
}

export function componentRoute<P extends TObject> (fastify: FastifyInstance, component: Component<P>, options: ComponentRouteOptions): void {
  const names = paramNames(options.url)
  const known = Object.keys(component.props.properties)
  const unknown = names.filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    throw new Error(`Component "${component.name}": route ${options.url} has parameter(s) ${unknown.map((n) => `":${n}"`).join(', ')} that are not props (props: ${known.join(', ') || 'none'})`)
  }
  const params = Type.Pick(component.props, names)
  const querystring = Type.Omit(component.props, names)
  fastify.withTypeProvider<TypeBoxTypeProvider>().get(options.url, {
    schema: names.length > 0 ? { params, querystring } : { querystring },
    schemaErrorFormatter: (errors) => new BadParameterError(errors.map((e) => describe(component.props, e)).join('; '))
  }, async (request, reply) => {
    const props: Record<string, unknown> = { ...(request.query as object), ...(request.params as object) }
    // Ajv coerces "1e400" to Infinity and lets it pass "integer" and "maximum": refuse it here,
    // with the same words as any other bad number.
    for (const name in props) {
      const value = props[name]
      if (typeof value === 'number' && !Number.isFinite(value)) throw new BadParameterError(describe(component.props, { instancePath: `/${name}`, params: {}, keyword: 'type', schemaPath: '', message: 'must be a finite number' }))
    }
    // Props from a URL are text that comes in: the one text rule (src/util/text.ts) applies.
    return await reply.fragment(component, cleanStrings(props) as never)
  })
}
