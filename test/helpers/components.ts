// Test helpers for component authors: an app with only the component system, the app's error
// handler and the given component plugins (no database, no broker), a component rendered to HTML, and a route called
// as htmx calls it.
import type { TestContext } from 'node:test'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { AppConfig } from '../../src/config.js'
import { installErrorHandlers } from '../../src/http/errors.js'
import { buildComponentsOnly } from './build.js'

/** The component system plus these component plugins (e.g. the default export of components/x/index.ts). */
export async function buildWithComponents (t: TestContext, ...plugins: FastifyPluginAsync[]): Promise<FastifyInstance>
export async function buildWithComponents (t: TestContext, overrides: Partial<AppConfig>, ...plugins: FastifyPluginAsync[]): Promise<FastifyInstance>
export async function buildWithComponents (t: TestContext, ...rest: Array<FastifyPluginAsync | Partial<AppConfig>>): Promise<FastifyInstance> {
  const overrides = typeof rest[0] === 'object' ? rest.shift() as Partial<AppConfig> : {}
  const app = await buildComponentsOnly(t, overrides)
  installErrorHandlers(app) // errors answer as in the app: fragments with data-code
  for (const plugin of rest as FastifyPluginAsync[]) await app.register(plugin)
  await app.ready()
  return app
}

/** The component's HTML (props are validated as in any render). */
export async function renderComponent (app: FastifyInstance, name: string, props: object = {}): Promise<string> {
  return (await app.components.render(name, props)).html
}

export interface RouteAnswer {
  statusCode: number
  html: string
  /** The stable error code of an error answer (e.g. FLC_BAD_PARAMETER). */
  code: string | undefined
  headers: Record<string, unknown>
}

/** GET (or another method) as htmx sends it: HX-Request set, errors as HTML fragments with data-code. */
export async function callRoute (app: FastifyInstance, url: string, options: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', payload?: Record<string, string> } = {}): Promise<RouteAnswer> {
  const response = await app.inject({
    method: options.method ?? 'GET',
    url,
    headers: { 'hx-request': 'true', ...(options.payload === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
    ...(options.payload === undefined ? {} : { payload: new URLSearchParams(options.payload).toString() })
  })
  return {
    statusCode: response.statusCode,
    html: response.body,
    code: /data-code="([^"]+)"/.exec(response.body)?.[1],
    headers: response.headers
  }
}
