// `npm run new:component -- <name> [--live | --channel]`: writes a component folder (index.ts,
// template.hbs, style.css; --live: a live component from data tags; --channel: a live feed of the
// events published on a channel) and its test, ready to run. Refuses names the registry would refuse and never
// overwrites anything.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { COMPONENT_NAME } from './define.js'
import { ScaffoldError } from '../errors.js'

export { ScaffoldError }

export const SCAFFOLD_USAGE = 'usage: npm run new:component -- <name> [--live | --channel]   (name: lower-case letters, digits and _, e.g. contact_card)'

/** What kind of component to write: plain (own route), live from data tags, or live from a channel of events. */
export type ScaffoldKind = 'plain' | 'live' | 'channel'

/** contact_card → contactCard */
function camel (name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

/** The component's own URL: contact_card → /contact-card */
export function scaffoldUrl (name: string): string {
  return `/${name.replace(/_/g, '-')}`
}

/** The channel a --channel component listens to: contact_card → contact_card_events */
export function scaffoldChannel (name: string): string {
  return `${name}_events`
}

/** Reads the command line: exactly one name, optionally --live or --channel. */
export function parseScaffoldArgs (args: string[]): { name: string, kind: ScaffoldKind } {
  const live = args.includes('--live')
  const channel = args.includes('--channel')
  if (live && channel) throw new ScaffoldError(`--live and --channel exclude each other; ${SCAFFOLD_USAGE}`)
  const rest = args.filter((arg) => arg !== '--live' && arg !== '--channel')
  const flags = rest.filter((arg) => arg.startsWith('-'))
  if (flags.length > 0) throw new ScaffoldError(`unknown option ${flags.join(', ')}; ${SCAFFOLD_USAGE}`)
  if (rest.length !== 1) throw new ScaffoldError(rest.length === 0 ? `a component name is required; ${SCAFFOLD_USAGE}` : `one name at a time (got ${rest.join(' ')}); ${SCAFFOLD_USAGE}`)
  return { name: rest[0] as string, kind: live ? 'live' : channel ? 'channel' : 'plain' }
}

/** A live component: re-rendered on every open page when its tag is announced. */
function liveFiles (name: string): Record<string, string> {
  return {
    'index.ts': `// ${name}: say in one line what it shows. Live: a write announcing one of its tags (put the
// data it shows there, e.g. ['contacts'], announced by every contacts write; fastify.broadcasts
// .announce(['${name}']) works too) re-renders it once per process and pushes it to every open
// page showing it. In a page: {{component "${name}"}}.
import { defineComponent, Type } from '#flc'

export default defineComponent({
  name: '${name}',
  props: Type.Object({}, { additionalProperties: false }),
  live: { tags: ['${name}'] },
  // Template data; may be async and read the database, e.g. count: await app.contacts.count()
  data: () => ({ renderedAt: new Date().toISOString() })
})
`,
    'template.hbs': `<span class="${name.replace(/_/g, '-')}">Rendered at {{renderedAt}}</span>
`
  }
}

/** A live feed: every message published on its channel is checked and prepended as an item. */
function channelFiles (name: string): Record<string, string> {
  const css = name.replace(/_/g, '-')
  const channel = scaffoldChannel(name)
  return {
    'index.ts': `// ${name}: a live feed. Each message published on "${channel}" (JSON {"text": "..."}) is
// checked against Message by the framework (bad ones are dropped and counted), rendered once per
// process with item.hbs and prepended in every page showing {{component "${name}"}}; also on
// GET ${scaffoldUrl(name)}/. Publish: npm run publish -- ${name} '{"text":"hi"}' (LIVE_PUBLISH_TOKEN),
// POST /live/publish/${name}, fastify.broker.publish, or PUBLISH from any Redis client.
import { defineComponent, Type } from '#flc'

export const Message = Type.Object({ text: Type.String({ minLength: 1, maxLength: 500 }) })

export default defineComponent({
  name: '${name}',
  props: Type.Object({}, { additionalProperties: false }),
  live: { channel: '${channel}', message: Message, update: 'item.hbs', swap: 'prepend', element: 'ul', stream: '${scaffoldUrl(name)}/' }
})
`,
    'template.hbs': `<li class="${css}-empty">Nothing yet…</li>
`,
    'item.hbs': `<li class="${css}-item">{{text}}</li>
`
  }
}

function channelTestFile (name: string): string {
  const id = camel(name)
  const css = name.replace(/_/g, '-')
  return `// ${name}: a live feed on a page stream.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import ${id} from '../../components/${name}/index.js'
import { buildLiveWithComponents, openComponentStream, publishAndWait } from '../helpers/components.js'

test('${name} prepends each checked message; bad ones are dropped', async (t) => {
  const app = await buildLiveWithComponents(t, ${id})
  const stream = await openComponentStream(t, app, '${name}')
  assert.equal(await publishAndWait(app, stream, '${name}', '{"text":"<b>hi</b>"}'), '<li class="${css}-item">&lt;b&gt;hi&lt;/b&gt;</li>')
  await app.broker.publish('${scaffoldChannel(name)}', 'not json')
  assert.equal(await publishAndWait(app, stream, '${name}', '{"text":"again"}'), '<li class="${css}-item">again</li>')
  assert.equal(stream.events.length, 2)
})
`
}

function liveTestFile (name: string): string {
  const id = camel(name)
  return `// ${name}: live on a page stream. The test app has the embedded database (PGlite in memory),
// so the component may read it (app.contacts); no service is needed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import ${id} from '../../components/${name}/index.js'
import { announceAndWait, buildLiveWithDatabase, openComponentStream } from '../helpers/components.js'

test('${name} is re-rendered and pushed when its tag is announced', async (t) => {
  const app = await buildLiveWithDatabase(t, ${id})
  const stream = await openComponentStream(t, app, '${name}')
  const html = await announceAndWait(app, stream, '${name}', ['${name}'])
  assert.match(html, /class="${name.replace(/_/g, '-')}"/)
})
`
}

function files (name: string): Record<string, string> {
  const id = camel(name)
  const url = scaffoldUrl(name)
  return {
    'index.ts': `// ${name}: say in one line what it shows.
// In a page or component: {{component "${name}" title="Hello"}}; on its own: GET ${url}?title=Hello
import { defineComponent, Type } from '#flc'

export const ${id}Props = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 })
}, { additionalProperties: false })

export default defineComponent({
  name: '${name}',
  props: ${id}Props,
  route: '${url}',
  // Props → template data (may be async and query the database through ctx.app).
  data: ({ title }) => ({ title })
})
`,
    'template.hbs': `<div class="${name.replace(/_/g, '-')}">
  <h3>{{title}}</h3>
  {{#slot}}{{/slot}}
</div>
`,
    'style.css': `/* ${name}: styles emitted once per page that uses the component. */
.${name.replace(/_/g, '-')} { padding: .5rem 0; }
`
  }
}

function testFile (name: string): string {
  const id = camel(name)
  const url = scaffoldUrl(name)
  return `// ${name}: rendered on its own and served by its route.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import ${id} from '../../components/${name}/index.js'
import { buildWithComponents, callRoute, renderComponent } from '../helpers/components.js'

test('${name} renders its props, escaped', async (t) => {
  const app = await buildWithComponents(t, ${id})
  const html = await renderComponent(app, '${name}', { title: '<b>Hello</b>' })
  assert.ok(html.includes('&lt;b&gt;Hello&lt;/b&gt;'), html)
})

test('${name} answers on ${url}; bad props are a 400', async (t) => {
  const app = await buildWithComponents(t, ${id})
  const ok = await callRoute(app, '${url}?title=Hello')
  assert.equal(ok.statusCode, 200)
  assert.ok(ok.html.includes('Hello'), ok.html)
  const bad = await callRoute(app, '${url}')
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.code, 'FLC_BAD_PARAMETER')
})
`
}

export interface ScaffoldResult {
  created: string[]
}

/** Creates components/<name>/ and test/components/<name>.test.ts under root. */
export function scaffoldComponent (root: string, name: string, kind: ScaffoldKind = 'plain'): ScaffoldResult {
  if (!COMPONENT_NAME.test(name)) {
    throw new ScaffoldError(`component name ${JSON.stringify(name)} is invalid: use lower-case letters, digits and _, starting with a letter (e.g. contact_card)`)
  }
  const dir = join(root, 'components', name)
  const test = join(root, 'test', 'components', `${name}.test.ts`)
  for (const path of [dir, test]) {
    if (existsSync(path)) throw new ScaffoldError(`${relative(root, path)} already exists: choose another name (nothing was written)`)
  }
  mkdirSync(dir, { recursive: true })
  const created: string[] = []
  const written = kind === 'live' ? liveFiles(name) : kind === 'channel' ? channelFiles(name) : files(name)
  for (const [file, content] of Object.entries(written)) {
    writeFileSync(join(dir, file), content, { flag: 'wx' })
    created.push(join(dir, file))
  }
  mkdirSync(join(root, 'test', 'components'), { recursive: true })
  writeFileSync(test, kind === 'live' ? liveTestFile(name) : kind === 'channel' ? channelTestFile(name) : testFile(name), { flag: 'wx' })
  created.push(test)
  return { created: created.map((path) => relative(root, path)) }
}
