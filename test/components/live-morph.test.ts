// Replace updates morph by default; a component opts out with live: { morph: false }. What the
// element carries tells the page's runtime (/static/live-morph.js) how to land each update; the
// browser side is test/e2e/morph.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { projectRoot } from '../../src/paths.js'
import { buildLiveWithComponents } from '../helpers/components.js'

const dir = join(projectRoot, 'test', 'fixtures', 'components', 'ticker')
const Props = Type.Object({ n: Type.Integer({ minimum: 0 }), label: Type.Optional(Type.String()) }, { additionalProperties: false })

function ticker (name: string, live: { morph?: boolean, swap?: 'replace' | 'append' }) {
  return defineComponent({
    name,
    dir,
    props: Props,
    live: { channel: `test_${name}`, message: () => ({ ok: true as const, value: { n: 1 } }), element: 'p', ...live }
  })
}

test('a replace update morphs by default; morph: false swaps whole; items are added as before', async (t) => {
  const components = [ticker('morphing', {}), ticker('plain', { morph: false }), ticker('items', { swap: 'append' })]
  const app = await buildLiveWithComponents(t, async (fastify) => {
    for (const component of components) fastify.components.register(component)
  })
  const page = app.livePages.page()
  const morphing = await app.components.renderInPage('morphing', { n: 1 }, page)
  const plain = await app.components.renderInPage('plain', { n: 1 }, page)
  const items = await app.components.renderInPage('items', { n: 1 }, page)
  assert.match(morphing, / hx-swap="innerMorph" hx-ext="flc-morph" /)
  assert.match(plain, / hx-swap="innerHTML" /)
  assert.doesNotMatch(plain, /flc-morph/)
  assert.match(items, / hx-swap="beforeend" /)
  assert.doesNotMatch(items, /flc-morph/)
})

test('live.morph must be a boolean', () => {
  assert.throws(() => ticker('bad', { morph: 'yes' as unknown as boolean }), /live\.morph must be true/)
})
