import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { defineComponent } from '../../src/components/define.js'
import { assetsOf } from '../../src/components/assets.js'
import { componentRoute } from '../../src/components/route.js'
import { buildComponentsOnly } from '../helpers/build.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'components')
const PAGE = '../../test/fixtures/views/page.hbs'

async function withFixtures (t: Parameters<typeof buildComponentsOnly>[0]): Promise<FastifyInstance> {
  const app = await buildComponentsOnly(t)
  app.components.register(defineComponent({
    name: 'greeting',
    dir: join(fixtures, 'greeting'),
    props: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    // async data, as a database-backed component would have
    data: async ({ name }) => await new Promise((resolve) => setImmediate(() => resolve({ name: name.toUpperCase() })))
  }))
  app.components.register(defineComponent({
    name: 'card',
    dir: join(fixtures, 'card'),
    props: Type.Object({ who: Type.String() })
  }))
  app.get('/page', async (request, reply) => reply.type('text/html').send(await app.components.renderPage(PAGE, { who: 'ada' }, request)))
  app.get('/fragment', async (_request, reply) => await reply.fragment('card', { who: 'bob' }))
  app.get<{ Querystring: { name?: string } }>('/greet', async (request, reply) => await reply.fragment('greeting', { name: request.query.name }))
  await app.ready()
  return app
}

test('a component renders with validated props and async data', async (t) => {
  const app = await withFixtures(t)
  const { html, used } = await app.components.render('greeting', { name: 'ada' })
  assert.equal(html.trim(), '<p class="greeting">Hello, ADA!</p>')
  assert.deepEqual(used.map((c) => c.name), ['greeting'])
})

test('values are HTML-escaped', async (t) => {
  const app = await withFixtures(t)
  const { html } = await app.components.render('greeting', { name: '<img src=x onerror=alert(1)>' })
  assert.ok(!html.includes('<img'), html)
  assert.ok(html.includes('&lt;IMG SRC&#x3D;X ONERROR&#x3D;ALERT(1)&gt;'), html)
})

test('components nest through the {{component}} helper', async (t) => {
  const app = await withFixtures(t)
  const { html, used } = await app.components.render('card', { who: 'ada' })
  assert.equal(html.trim(), '<div class="card"><p class="greeting">Hello, ADA!</p>\n<p class="greeting">Hello, AGAIN!</p>\n</div>')
  assert.deepEqual(used.map((c) => c.name), ['card', 'greeting'])
})

test('a bad prop is an error naming the component and the prop', async (t) => {
  const app = await withFixtures(t)
  await assert.rejects(app.components.render('greeting', { name: '' }), /Component "greeting": prop "name" is invalid/)
  await assert.rejects(app.components.render('greeting', {}), /Component "greeting": prop "name" is required/)
  await assert.rejects(app.components.render('greeting', { name: 'a', color: 'red' }), /Component "greeting": prop "color" is not a known prop \(known: name\)/)
  await assert.rejects(app.components.render('card', { who: 5 }), /Component "card": prop "who" is invalid/)
})

test('a bad prop inside a nested template fails the whole render', async (t) => {
  const app = await withFixtures(t)
  await assert.rejects(app.components.render('card', { who: '' }), /Component "greeting": prop "name" is invalid/)
})

test('an unknown component inside a template names the known ones', async (t) => {
  const app = await withFixtures(t)
  await assert.rejects(app.components.render('nope', {}), /Unknown component "nope"\. Registered components: "greeting", "card"/)
})

test('a full page emits each used component\'s CSS and JS exactly once, in the head', async (t) => {
  const app = await withFixtures(t)
  const response = await app.inject('/page')
  assert.equal(response.statusCode, 200)
  const html = response.body
  const head = html.slice(0, html.indexOf('</head>'))
  assert.equal(html.match(/\/components\/greeting\/style\.css/g)?.length, 1)
  assert.equal(html.match(/\/components\/greeting\/script\.js/g)?.length, 1)
  assert.equal(html.match(/\/components\/card\/style\.css/g)?.length, 1)
  assert.ok(head.includes('/components/card/style.css') && head.includes('/components/greeting/script.js'))
  assert.equal(html.match(/class="card"/g)?.length, 2)
  assert.ok(html.includes('Hello, ADA!') && html.includes('Hello, SECOND!'))
  assert.ok(!html.includes('<!--flc:'), 'no placeholder left')
})

test('served component assets: declared files only', async (t) => {
  const app = await withFixtures(t)
  const page = await app.inject('/page')
  const cssUrl = page.body.match(/href="(\/components\/greeting\/style\.css\?v=[0-9a-f]+)"/)?.[1]
  assert.ok(cssUrl)
  const css = await app.inject(cssUrl)
  assert.equal(css.statusCode, 200)
  assert.match(css.headers['content-type'] as string, /text\/css/)
  assert.equal((await app.inject('/components/greeting/template.hbs')).statusCode, 404)
  assert.equal((await app.inject('/components/greeting/index.ts')).statusCode, 404)
  assert.equal((await app.inject('/components/nope/style.css')).statusCode, 404)
  assert.equal((await app.inject('/components/greeting/..%2F..%2F..%2Fpackage.json')).statusCode, 404)
})

test('htmx fragments bring only the assets the page lacks', async (t) => {
  const app = await withFixtures(t)
  const htmx = { 'hx-request': 'true' }

  const lacking = await app.inject({ url: '/fragment', headers: { ...htmx, 'flc-components': '' } })
  assert.ok(!lacking.body.includes('<link') && !lacking.body.includes('<script'), 'assets never inline for htmx')
  const event = JSON.parse(lacking.headers['hx-trigger'] as string)['flc:assets']
  assert.deepEqual(event.components.map((c: { name: string }) => c.name), ['card', 'greeting'])
  assert.match(event.components[1].js[0], /^\/components\/greeting\/script\.js\?v=/)

  const partly = await app.inject({ url: '/fragment', headers: { ...htmx, 'flc-components': 'card' } })
  const partlyEvent = JSON.parse(partly.headers['hx-trigger'] as string)['flc:assets']
  assert.deepEqual(partlyEvent.components.map((c: { name: string }) => c.name), ['greeting'])

  const complete = await app.inject({ url: '/fragment', headers: { ...htmx, 'flc-components': 'greeting, card' } })
  assert.equal(complete.headers['hx-trigger'], undefined)
  assert.equal(complete.body.trim().startsWith('<div class="card">'), true)

  const standalone = await app.inject('/fragment')
  assert.ok(standalone.body.startsWith('<link rel="stylesheet" href="/components/card/style.css'), standalone.body)
  assert.equal(standalone.body.match(/data-component-asset/g)?.length, 3)
})

test('the helper outside the component system says how to use it', async (t) => {
  const app = await withFixtures(t)
  const template = app.components.handlebars.compile('{{component "greeting" name="x"}}')
  assert.throws(() => template({}), /works only in templates rendered through fastify\.components/)
})

test('props a route takes from the request and that fail the schema are a 400, naming the prop', async (t) => {
  const app = await withFixtures(t)
  const response = await app.inject('/greet?name=')
  assert.equal(response.statusCode, 400)
  assert.match(response.json().message, /Component "greeting": prop "name" is invalid/)
  assert.equal((await app.inject('/greet?name=ada')).statusCode, 200)
})

test('production caches an asset for good only under its current content hash', async (t) => {
  const app = await buildComponentsOnly(t, { NODE_ENV: 'production' })
  const greeting = app.components.register(defineComponent({ name: 'greeting', dir: join(fixtures, 'greeting'), props: Type.Object({ name: Type.String() }) }))
  await app.ready()
  const url = assetsOf([app.components.get(greeting.name)]).css[0] as string
  assert.match(url, /^\/components\/greeting\/style\.css\?v=[0-9a-f]{10}$/)
  assert.match((await app.inject(url)).headers['cache-control'] as string, /immutable/)
  assert.equal((await app.inject('/components/greeting/style.css?v=bogus')).headers['cache-control'], 'no-cache')
  assert.equal((await app.inject('/components/greeting/style.css')).headers['cache-control'], 'no-cache')
})

test('slots: {{#component}}…{{/component}} fills the component\'s {{slot}}, escaped by the caller; {{#slot}} is the fallback', async (t) => {
  const app = await withFixtures(t)
  app.components.register(defineComponent({ name: 'panel', dir: join(fixtures, 'panel'), props: Type.Object({ title: Type.String() }) }))
  app.components.register(defineComponent({ name: 'panel_user', dir: join(fixtures, 'panel_user'), props: Type.Object({ who: Type.String() }) }))
  const { html, used } = await app.components.render('panel_user', { who: '<i>ada</i>' })
  assert.equal(html.trim(),
    '<section class="panel"><h3>Hi</h3><b>&lt;i&gt;ada&lt;/i&gt;</b><p class="greeting">Hello, &lt;I&gt;ADA&lt;/I&gt;!</p>\n</section>\n' +
    '<section class="panel"><h3>Empty</h3><p>Nothing here.</p></section>')
  assert.deepEqual(used.map((c) => c.name).sort(), ['greeting', 'panel', 'panel_user'])
})

test('a component\'s own route takes its props from path and querystring, typed and validated by its schema', async (t) => {
  const app = await buildComponentsOnly(t)
  const shout = defineComponent({
    name: 'greeting',
    dir: join(fixtures, 'greeting'),
    props: Type.Object({ name: Type.String({ minLength: 1 }), times: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })) }, { additionalProperties: false }),
    data: ({ name, times }) => ({ name: name.repeat(times ?? 1) })
  })
  app.components.register(shout)
  componentRoute(app, shout, { url: '/hello/:name' })
  assert.throws(() => componentRoute(app, shout, { url: '/bad/:nobody' }), /":nobody" that are not props/)
  await app.ready()
  assert.ok((await app.inject({ url: '/hello/ada?times=2', headers: { 'hx-request': 'true' } })).body.includes('<p class="greeting">Hello, adaada!</p>'))
  const bad = await app.inject('/hello/ada?times=9')
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'FLC_BAD_PARAMETER')
  assert.match(bad.json().message, /times must be a whole number from 1 to 3/)
})
