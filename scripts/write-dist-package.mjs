#!/usr/bin/env node
// Writes dist/package.json after tsc (`npm run build`, and the browser tests' build in
// test/e2e/helpers/project.ts): the built files need their own "type": "module" and "imports",
// because the root package.json maps '#flc' to src/index.ts, which plain node cannot load.
// The map is derived from the root one (.ts → .js), so the two never disagree.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { imports = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

const built = Object.fromEntries(Object.entries(imports).map(([name, target]) => {
  const source = typeof target === 'string' ? target : target.default
  return [name, source.replace(/\.ts$/, '.js')]
}))
writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module', private: true, imports: built }, null, 2) + '\n')
