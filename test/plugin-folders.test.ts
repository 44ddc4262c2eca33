// plugins/external/ and plugins/app/ (plugins/README.md): the split rule, and the loader that
// orders both folders together by fastify-plugin name and dependencies.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { dependencyOrder, pluginFolders, type PluginEntry } from '../src/plugin-folders.js'
import { projectRoot } from '../src/paths.js'

const FOLDERS = ['external', 'app'].map((folder) => join(projectRoot, 'plugins', folder))
/** Packages any plugin may import: the framework, not a library it wraps. */
const FRAMEWORK = new Set(['fastify', 'fastify-plugin', '@sinclair/typebox', '@fastify/type-provider-typebox'])

function packagesImported (file: string): string[] {
  const specifiers = [...readFileSync(file, 'utf8').matchAll(/^import .* from '([^']+)'/gm)].map((match) => match[1] as string)
  return specifiers.filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && !specifier.startsWith('#') && !FRAMEWORK.has(specifier))
}

test('plugins/external files wrap an outside library; plugins/app files import none', () => {
  for (const [folder, wraps] of [['external', true], ['app', false]] as const) {
    for (const name of readdirSync(join(projectRoot, 'plugins', folder)).filter((file) => file.endsWith('.ts'))) {
      const packages = packagesImported(join(projectRoot, 'plugins', folder, name))
      assert.equal(packages.length > 0, wraps, `plugins/${folder}/${name} imports ${JSON.stringify(packages)}: ${wraps ? 'it wraps no library, move it to plugins/app/' : 'it wraps a library, move it to plugins/external/'}`)
    }
  }
})

test('every plugin is registered after its dependencies, across both folders', async () => {
  const entries = await pluginFolders(FOLDERS)
  const names = entries.map((entry) => entry.name)
  assert.ok(names.includes('csrf') && names.includes('broadcasts'), names.join(' '))
  entries.forEach((entry, at) => {
    for (const dependency of entry.dependencies) {
      const index = names.indexOf(dependency)
      assert.ok(index !== -1 && index < at, `${entry.name} needs ${dependency}, registered ${index === -1 ? 'nowhere' : 'later'}`)
    }
  })
})

const entry = (name: string, dependencies: string[] = []): PluginEntry => ({ name, dependencies, file: `plugins/x/${name}.ts`, plugin: async () => {} })

test('dependencyOrder keeps the given order except where a dependency must come first', () => {
  const ordered = dependencyOrder([entry('a', ['c']), entry('b'), entry('c', ['outside'])])
  assert.deepEqual(ordered.map((e) => e.name), ['c', 'a', 'b'])
})

test('dependencyOrder refuses a cycle and two plugins of one name, naming them', () => {
  assert.throws(() => dependencyOrder([entry('a', ['b']), entry('b', ['a'])]), /cycle: a -> b -> a/)
  assert.throws(() => dependencyOrder([entry('a'), entry('a')]), /two plugins are named "a"/)
})

test('plugins/ holds only the two folders: a plugin file left at its top would never be loaded', () => {
  const stray = readdirSync(join(projectRoot, 'plugins')).filter((name) => !['app', 'external', 'README.md'].includes(name))
  assert.deepEqual(stray, [], `move ${stray.join(', ')} into plugins/app/ or plugins/external/ (plugins/README.md)`)
})
