import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { ComponentRegistry } from '../../src/components/registry.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'components')
const greeting = () => defineComponent({ name: 'greeting', dir: join(fixtures, 'greeting'), props: Type.Object({ name: Type.String() }) })

test('register, get, has and all', () => {
  const registry = new ComponentRegistry()
  assert.equal(registry.has('greeting'), false)
  const component = registry.register(greeting())
  assert.equal(registry.has('greeting'), true)
  assert.equal(registry.get('greeting'), component)
  assert.deepEqual(registry.all().map((c) => c.name), ['greeting'])
})

test('each registry is independent', () => {
  const first = new ComponentRegistry()
  first.register(greeting())
  assert.equal(new ComponentRegistry().has('greeting'), false)
})

test('a duplicate name is an error naming both components', () => {
  const registry = new ComponentRegistry()
  registry.register(greeting())
  const second = defineComponent({ name: 'greeting', dir: join(fixtures, 'card'), props: Type.Object({}) })
  assert.throws(() => registry.register(second), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'FLC_DUPLICATE_COMPONENT')
    assert.ok(error.message.includes(join(fixtures, 'greeting')), error.message)
    assert.ok(error.message.includes(join(fixtures, 'card')), error.message)
    return true
  })
})

test('an unknown name is an error listing the known ones', () => {
  const registry = new ComponentRegistry()
  registry.register(greeting())
  assert.throws(() => registry.get('nope'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'FLC_COMPONENT_NOT_FOUND')
    assert.ok(error.message.includes('"nope"') && error.message.includes('"greeting"'), error.message)
    return true
  })
  assert.throws(() => new ComponentRegistry().get('nope'), { code: 'FLC_COMPONENT_NOT_FOUND' })
})

test('defineComponent finds template and default assets, and rejects bad definitions', () => {
  const component = greeting()
  assert.deepEqual(component.css, ['style.css'])
  assert.deepEqual(component.js, ['script.js'])
  assert.throws(() => defineComponent({ name: 'Bad Name', dir: join(fixtures, 'greeting'), props: Type.Object({}) }), /invalid: use lower-case/)
  assert.throws(() => defineComponent({ name: 'ghost', dir: join(fixtures, 'nowhere'), props: Type.Object({}) }), /template .* does not exist/)
  assert.throws(() => defineComponent({ name: 'greeting', dir: join(fixtures, 'greeting'), props: Type.Object({}), css: ['../card/style.css'] }), /must be a \.css or \.js file directly/)
  assert.throws(() => defineComponent({ name: 'greeting', dir: join(fixtures, 'greeting'), props: Type.Object({}), js: ['missing.js'] }), /does not exist/)
})
