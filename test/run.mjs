#!/usr/bin/env node
// Runs the whole suite with Node's own test runner (TypeScript through tsx).
// Node 20's runner does not expand globs, so the files are listed here.
// Usage: npm test [-- <file or folder filter>...]   (npm test passes --checks: type check and lint first)
// At the end it prints what each part cost (wall time): the type check, lint, each test folder,
// the browser tests (test/e2e) and the slowest files, so CI logs say where the time goes. With
// FLC_TIMES_FILE set, the same summary is appended to that file (.ci/run collects both Node runs).
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = new URL('..', import.meta.url).pathname
const skipDirs = new Set(['bench', 'helpers', 'fixtures', 'artifacts'])

function findTests (dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return skipDirs.has(name) ? [] : findTests(path)
    return name.endsWith('.test.ts') ? [path] : []
  })
}

const args = process.argv.slice(2)
const checks = args.includes('--checks')
const filters = args.filter((arg) => arg !== '--checks')
const files = findTests(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()

if (files.length === 0) {
  console.error('No test files matched', filters)
  process.exit(1)
}

/** Wall time of each part, in order: [label, ms]. */
const parts = []
const timed = (label, fn) => {
  const began = performance.now()
  const result = fn()
  parts.push([label, performance.now() - began])
  return result
}
const bin = (pkg, path) => join(root, 'node_modules', pkg, path)

if (checks) {
  for (const [label, command] of [['typecheck', [bin('typescript', 'bin/tsc'), '--noEmit']], ['lint', [bin('eslint', 'bin/eslint.js'), '.']]]) {
    const { status } = timed(label, () => spawnSync(process.execPath, command, { cwd: root, stdio: 'inherit' }))
    if (status !== 0) {
      console.error(`\n${label} failed`)
      process.exit(status ?? 1)
    }
  }
}

// Node ≤ 22 reports TAP unless stdout is a terminal, Node 23+ always spec: keep that default.
const major = Number(process.versions.node.split('.')[0])
const reporter = major >= 23 || process.stdout.isTTY ? 'spec' : 'tap'
const timesDir = mkdtempSync(join(tmpdir(), 'flc-test-times-'))
const timesFile = join(timesDir, 'files.jsonl')
const result = timed('tests', () => spawnSync(process.execPath, [
  '--import', 'tsx',
  '--test',
  '--test-concurrency=1',
  `--test-reporter=${reporter}`, '--test-reporter-destination=stdout',
  `--test-reporter=${pathToFileURL(join(root, 'test', 'helpers', 'file-times.mjs')).href}`, `--test-reporter-destination=${timesFile}`,
  ...files
], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } }))

let times = []
try {
  times = readFileSync(timesFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
} catch {} // no file: the runner died before any file ended; the summary says so
rmSync(timesDir, { recursive: true, force: true })

const s = (ms) => `${(ms / 1000).toFixed(1)} s`
const folderOf = (file) => {
  const path = relative(root, file).split('/')
  return path.length > 2 ? `${path[0]}/${path[1]}` : path[0]
}
const byFolder = new Map()
for (const { file, ms } of times) {
  const folder = folderOf(file)
  const sum = byFolder.get(folder) ?? { ms: 0, count: 0 }
  byFolder.set(folder, { ms: sum.ms + ms, count: sum.count + 1 })
}
const browser = times.filter(({ file }) => folderOf(file) === 'test/e2e').reduce((sum, { ms }) => sum + ms, 0)
const total = parts.reduce((sum, [, ms]) => sum + ms, 0)
const summary = [
  `== time per part, Node ${process.version} (wall): ${parts.map(([label, ms]) => `${label} ${s(ms)}`).join(' · ')} · total ${s(total)}`,
  `   test files: ${times.length} of ${files.length} reported; browser (test/e2e) ${s(browser)}, unit/integration ${s(times.reduce((sum, { ms }) => sum + ms, 0) - browser)}`,
  `   by folder: ${[...byFolder].sort((a, b) => b[1].ms - a[1].ms).map(([folder, { ms, count }]) => `${folder} ${s(ms)} (${count})`).join(' · ')}`,
  `   slowest: ${[...times].sort((a, b) => b.ms - a.ms).slice(0, 8).map(({ file, ms, ok }) => `${relative(root, file)} ${s(ms)}${ok ? '' : ' FAILED'}`).join(' · ')}`
].join('\n')
console.log(`\n${summary}`)
if (process.env.FLC_TIMES_FILE) appendFileSync(process.env.FLC_TIMES_FILE, `${summary}\n`)
process.exit(result.status ?? 1)
