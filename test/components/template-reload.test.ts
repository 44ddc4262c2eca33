// Development re-reads an edited template on the next render; production keeps what it compiled.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { buildComponentsOnly } from '../helpers/build.js'

async function renderBeforeAndAfterEdit (t: TestContext, nodeEnv: 'development' | 'production'): Promise<[string, string]> {
  const dir = await mkdtemp(join(tmpdir(), 'flc-template-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const template = join(dir, 'template.hbs')
  await writeFile(template, '<p>first {{word}}</p>')
  const app = await buildComponentsOnly(t, { NODE_ENV: nodeEnv })
  app.components.register(defineComponent({ name: 'editable', dir, props: Type.Object({ word: Type.String() }) }))
  const before = (await app.components.render('editable', { word: 'x' })).html
  await writeFile(template, '<p>second {{word}}</p>')
  const later = new Date(Date.now() + 5000) // a different mtime even on coarse file systems
  await utimes(template, later, later)
  const after = (await app.components.render('editable', { word: 'x' })).html
  return [before, after]
}

test('development: an edited template shows on the next render', async (t) => {
  assert.deepEqual(await renderBeforeAndAfterEdit(t, 'development'), ['<p>first x</p>', '<p>second x</p>'])
})

test('production: templates are compiled once', async (t) => {
  assert.deepEqual(await renderBeforeAndAfterEdit(t, 'production'), ['<p>first x</p>', '<p>first x</p>'])
})

test('a template that does not compile stops registration with its file name', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'flc-template-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'template.hbs'), '<p>{{#if x}}unclosed</p>')
  const app = await buildComponentsOnly(t)
  assert.throws(() => app.components.register(defineComponent({ name: 'broken', dir, props: Type.Object({}) })),
    (error: Error) => error.message.includes('Component "broken"') && error.message.includes(join(dir, 'template.hbs')))
  assert.equal(app.components.has('broken'), false, 'a component that failed to register is not half-registered')
})
