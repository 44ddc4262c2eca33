// The authoring kit: a test app without the database names the fix, a template using an
// undeclared partial stops start-up by name, and a render error shows its code and message in
// development only.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { defineComponent, Type } from '#flc'
import { buildWithComponents, callRoute, renderComponent } from '../helpers/components.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'components')

const counter = defineComponent({
  name: 'greeting',
  dir: join(fixtures, 'greeting'),
  props: Type.Object({}),
  data: async (_props, { app }) => ({ name: String(await app.contacts.count()) })
})

test('a component reading the database in a test app without one: FLC_NO_DATABASE naming the helper that has it', async (t) => {
  const app = await buildWithComponents(t, counter)
  await assert.rejects(renderComponent(app, 'greeting'), { code: 'FLC_NO_DATABASE', message: /fastify\.contacts is missing: build it with buildLiveWithDatabase/ })
})

test('a template using a partial no component declares stops start-up, naming both', async (t) => {
  const usesPartial = defineComponent({ name: 'uses_partial', dir: join(fixtures, 'uses_partial'), props: Type.Object({}) })
  await assert.rejects(buildWithComponents(t, usesPartial), { code: 'FLC_COMPONENT_LOAD', message: /uses_partial.*template\.hbs uses the partial "missing_row", which no registered component declares: add partials: \{ missing_row:/ })
})

function failing () {
  return defineComponent({
    name: 'greeting',
    dir: join(fixtures, 'greeting'),
    props: Type.Object({}),
    route: '/failing',
    data: () => { throw Object.assign(new Error('the widget table is gone'), { code: 'FLC_WIDGET_GONE' }) }
  })
}

test('in development a render error shows its code and message in the fragment and the page', async (t) => {
  const app = await buildWithComponents(t, { NODE_ENV: 'development' }, failing())
  const fragment = await callRoute(app, '/failing')
  assert.equal(fragment.statusCode, 500)
  assert.equal(fragment.code, 'FLC_WIDGET_GONE')
  assert.match(fragment.html, /FLC_WIDGET_GONE: the widget table is gone/)
  const page = await app.inject({ url: '/failing', headers: { accept: 'text/html' } })
  assert.match(page.body, /<h1>500 Internal Server Error<\/h1>.*FLC_WIDGET_GONE: the widget table is gone/s)
})

test('in production a render error says nothing internal', async (t) => {
  const app = await buildWithComponents(t, { NODE_ENV: 'production', SECRET_KEYS: 'x'.repeat(40) }, failing())
  const fragment = await callRoute(app, '/failing')
  assert.equal(fragment.statusCode, 500)
  assert.doesNotMatch(fragment.html, /widget|FLC_WIDGET_GONE/)
  assert.match(fragment.html, /Something went wrong on our side/)
})
