// The Dockerfile, checked without a Docker engine (none runs on these machines):
// 1. its rules: non-root user, health check, production start command, build context;
// 2. its runtime stage rebuilt in a temporary folder from what its COPY lines name (the
//    production-only dependencies installed the way the prod-deps stage does), then started
//    the way the image starts it: the service must serve pages, and the npm scripts a user runs
//    in the container (migrate, seed) must work with production dependencies only.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { copiesOf, envOf, readDockerfile } from './dockerfile.js'
import { createTestDatabase } from '../helpers/services.js'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')
const { stages } = readDockerfile(join(root, 'Dockerfile'))
const runtime = stages.at(-1)!
const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))

test('the image runs as a non-root user, with a health check and the compiled server', () => {
  assert.match(runtime.image, /^node:24-/, 'Node 24, the current LTS')
  const stageNames = new Set(stages.map((s) => s.name))
  for (const stage of stages.filter((s) => !stageNames.has(s.image))) assert.equal(stage.image, runtime.image, `stage ${stage.name ?? ''} builds on the same Node as it runs on`)
  const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args
  assert.ok(user !== undefined && user !== 'root' && user !== '0', `USER ${user}`)
  assert.ok(runtime.instructions.some((i) => i.keyword === 'HEALTHCHECK' && i.args.includes('/health')))
  const cmd = JSON.parse(runtime.instructions.find((i) => i.keyword === 'CMD')?.args ?? '[]') as string[]
  assert.deepEqual(cmd, ['node', 'dist/src/server.js'], 'exec form: node is PID 1 and gets SIGTERM')
  assert.equal(envOf(runtime).NODE_ENV, 'production')
  assert.equal(envOf(runtime).HOST, '0.0.0.0')
  assert.ok(stages.length >= 3, 'multi-stage')
})

test('every file the Dockerfile copies from the build context exists and is not ignored', () => {
  for (const stage of stages) {
    for (const copy of copiesOf(stage).filter((c) => c.from === undefined)) {
      for (const source of copy.sources) {
        assert.ok(existsSync(join(root, source)), `${source} exists`)
        assert.ok(!ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is not in .dockerignore`)
      }
    }
  }
  for (const never of ['node_modules', 'dist', 'data', '.git', 'src/generated']) assert.ok(ignored.includes(never), `.dockerignore keeps ${never} out`)
})

test('the build stage copies every script `npm run build` runs', () => {
  const build = stages.find((s) => s.name === 'build') ?? assert.fail('a stage named build')
  const copied = copiesOf(build).filter((c) => c.from === undefined).flatMap((c) => c.sources)
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const used = [...`${scripts.prebuild ?? ''} ${scripts.build ?? ''}`.matchAll(/\bscripts\/[\w.-]+/g)].map((m) => m[0])
  assert.ok(used.length > 0, 'the build writes dist/package.json with a script')
  for (const script of used) assert.ok(copied.some((source) => script === source || script.startsWith(`${source}/`)), `${script} is copied before RUN npm run build`)
})

test('the runtime stage, rebuilt from its COPY lines, serves the app and runs the npm scripts', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  if (databaseUrl === undefined) return
  const work = await mkdtemp(join(tmpdir(), 'flc-image-'))
  t.after(() => rm(work, { recursive: true, force: true }))
  const app = join(work, 'app')
  await mkdir(app)

  // What the build and prod-deps stages produce.
  await run('npm', ['run', 'build'], { cwd: root })
  const prodDeps = join(work, 'prod-deps')
  await mkdir(prodDeps)
  await cp(join(root, 'package.json'), join(prodDeps, 'package.json'))
  await cp(join(root, 'package-lock.json'), join(prodDeps, 'package-lock.json'))
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: prodDeps, maxBuffer: 1 << 24 })
  const stageOutput: Record<string, string> = { 'prod-deps': prodDeps, build: root }

  for (const copy of copiesOf(runtime)) {
    for (const source of copy.sources) {
      const from = copy.from === undefined ? join(root, source) : join(stageOutput[copy.from] ?? assert.fail(`unknown stage ${copy.from}`), source.replace(/^\/app\/?/, ''))
      const to = copy.destination.endsWith('/') || copy.sources.length > 1 ? join(app, copy.destination.replace(/^\.\/?/, ''), source.split('/').at(-1)!) : join(app, copy.destination.replace(/^\.\/?/, ''))
      await cp(from, to, { recursive: true })
    }
  }
  assert.ok(!existsSync(join(app, 'node_modules', 'playwright-core')), 'no dev dependencies in the image')

  const env = { PATH: process.env.PATH ?? '', ...envOf(runtime), HOST: '127.0.0.1', PORT: '0', DATA_DIR: join(work, 'data'), LOG_LEVEL: 'warn', DEMO_PUBLISHER: 'off', SECRET_KEYS: 'docker-image-test-secret-0123456789abcdef' }
  const server = spawn(process.execPath, ['dist/src/server.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  server.stdout.on('data', (c: Buffer) => { output += c.toString() })
  server.stderr.on('data', (c: Buffer) => { output += c.toString() })
  const exited = new Promise<number | null>((resolve) => server.on('exit', resolve))
  t.after(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  let url: string | undefined
  for (let i = 0; i < 1200 && url === undefined && server.exitCode === null; i++) {
    url = /running at (\S+)/.exec(output)?.[1]
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.ok(url, `the image's server started:\n${output}`)
  assert.equal((await fetch(new URL('/health', url))).status, 200)
  const page = await (await fetch(url)).text()
  assert.equal([...page.matchAll(/<tr\b[^>]*>\s*<td>\d+<\/td>/g)].length, 3, 'demo contacts from the embedded database')
  const css = /href="(\/components\/click_to_load\/style\.css\?v=[^"]+)"/.exec(page)?.[1]
  const asset = await fetch(new URL(css ?? '/missing', url))
  assert.equal(asset.status, 200)
  assert.match(asset.headers.get('cache-control') ?? '', /immutable/, 'production caching')
  server.kill('SIGTERM')
  assert.equal(await exited, 0, output)

  // What a user runs in the container: migrations and seeding against PostgreSQL.
  const scriptEnv = { ...env, DATABASE_URL: databaseUrl }
  const migrate = await run('npm', ['run', 'db:migrate'], { cwd: app, env: scriptEnv })
  assert.match(migrate.stdout, /Applied 1 migration/)
  const seed = await run('npm', ['run', 'db:seed', '--', '--count', '7'], { cwd: app, env: scriptEnv })
  assert.match(seed.stdout, /7 contacts in total/)
})
