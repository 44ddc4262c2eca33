// npm run new:component: the scaffolded folder and test work as written; bad and duplicate
// names and extra options are refused with a clear message and nothing written; --live and
// --channel write live components whose tests pass.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../../src/paths.js'
import { parseScaffoldArgs, scaffoldComponent } from '../../src/components/scaffold.js'

/** A project root with the real src/, test helpers and node_modules, and empty components/. */
function scratchProject (t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'flc-scaffold-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  for (const entry of ['src', 'node_modules', 'package.json']) symlinkSync(join(projectRoot, entry), join(root, entry))
  mkdirSync(join(root, 'test'))
  for (const entry of ['helpers', 'fixtures']) symlinkSync(join(projectRoot, 'test', entry), join(root, 'test', entry))
  return root
}

test('the scaffold writes a component folder and a test that passes', async (t) => {
  const root = scratchProject(t)
  const { created } = scaffoldComponent(root, 'contact_card')
  assert.deepEqual(created.sort(), [
    'components/contact_card/index.ts', 'components/contact_card/style.css', 'components/contact_card/template.hbs',
    'test/components/contact_card.test.ts'
  ])
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', join(root, 'test', 'components', 'contact_card.test.ts')], {
    // Without NODE_TEST_CONTEXT the child reports as a plain run (TAP), not to this runner.
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', NODE_TEST_CONTEXT: undefined }
  })
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, /(?:# |ℹ )pass 2\b/, run.stdout)
  assert.match(run.stdout, /# fail 0\b/, run.stdout)
})

test('--live writes a live component (under 30 lines of TypeScript) and a test that passes', async (t) => {
  const root = scratchProject(t)
  const { created } = scaffoldComponent(root, 'clock', 'live')
  assert.deepEqual(created.sort(), ['components/clock/index.ts', 'components/clock/template.hbs', 'test/components/clock.test.ts'])
  assert.ok(readFileSync(join(root, 'components', 'clock', 'index.ts'), 'utf8').split('\n').length <= 30)
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', join(root, 'test', 'components', 'clock.test.ts')], {
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', NODE_TEST_CONTEXT: undefined }
  })
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, /(?:# |ℹ )pass 1\b/, run.stdout)
})

test('the --live test keeps passing when the component reads the database', async (t) => {
  const root = scratchProject(t)
  scaffoldComponent(root, 'headcount', 'live')
  const index = join(root, 'components', 'headcount', 'index.ts')
  const source = readFileSync(index, 'utf8')
  const reading = source.replace('data: () => ({ renderedAt: new Date().toISOString() })', 'data: async (_props, { app }) => ({ renderedAt: String(await app.contacts.count()) })')
  assert.notEqual(reading, source)
  writeFileSync(index, reading)
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', join(root, 'test', 'components', 'headcount.test.ts')], {
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', NODE_TEST_CONTEXT: undefined }
  })
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, /(?:# |ℹ )pass 1\b/, run.stdout)
})

test('--channel writes a live feed (under 30 lines of TypeScript) and a test that passes', async (t) => {
  const root = scratchProject(t)
  const { created } = scaffoldComponent(root, 'news', 'channel')
  assert.deepEqual(created.sort(), ['components/news/index.ts', 'components/news/item.hbs', 'components/news/template.hbs', 'test/components/news.test.ts'])
  assert.ok(readFileSync(join(root, 'components', 'news', 'index.ts'), 'utf8').split('\n').length <= 30)
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', join(root, 'test', 'components', 'news.test.ts')], {
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', NODE_TEST_CONTEXT: undefined }
  })
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, /(?:# |ℹ )pass 1\b/, run.stdout)
})

test('bad names, duplicates and extra options are refused, writing nothing', (t) => {
  const root = scratchProject(t)
  scaffoldComponent(root, 'card')
  const before = readdirSync(join(root, 'components')).sort()
  for (const name of ['Card', '1card', 'my-card', '../evil', '']) {
    assert.throws(() => scaffoldComponent(root, name), { code: 'FLC_SCAFFOLD', message: /is invalid/ }, name)
  }
  assert.throws(() => scaffoldComponent(root, 'card'), { code: 'FLC_SCAFFOLD', message: /components\/card already exists/ })
  assert.deepEqual(readdirSync(join(root, 'components')).sort(), before)
  assert.throws(() => parseScaffoldArgs([]), { code: 'FLC_SCAFFOLD', message: /name is required/ })
  assert.throws(() => parseScaffoldArgs(['a', 'b']), { code: 'FLC_SCAFFOLD', message: /one name at a time/ })
  assert.throws(() => parseScaffoldArgs(['card', '--force']), { code: 'FLC_SCAFFOLD', message: /unknown option --force/ })
  assert.deepEqual(parseScaffoldArgs(['card', '--live']), { name: 'card', kind: 'live' })
  assert.deepEqual(parseScaffoldArgs(['--channel', 'card']), { name: 'card', kind: 'channel' })
  assert.deepEqual(parseScaffoldArgs(['card']), { name: 'card', kind: 'plain' })
  assert.throws(() => parseScaffoldArgs(['card', '--live', '--channel']), { code: 'FLC_SCAFFOLD', message: /exclude each other/ })
})

test('npm run new:component exits 1 with one clear line for a bad name', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'new-component.ts'), 'Bad-Name'], { cwd: projectRoot, encoding: 'utf8' })
  assert.equal(run.status, 1)
  assert.match(run.stderr, /^new:component: component name "Bad-Name" is invalid/)
})
