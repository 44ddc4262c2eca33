#!/usr/bin/env node
// `npm start` runs this first (prestart): it rebuilds dist/ only when a source is newer than the
// last build, instead of a full `npm run build` (about 10 s of tsc) on every start.
//
// Stale when dist/src/server.js is missing, or when anything the build reads changed since the
// last build this script made: a file or a folder (a deleted or renamed file changes its folder's
// time) under src/, plugins/, components/, prisma/, or a tsconfig, package.json, package-lock.json,
// scripts/write-dist-package.mjs (the build's last step).
// The stamp (dist/.build-stamp) carries the time the build STARTED, so an edit made while tsc
// ran counts as newer. `npm run build` by hand leaves no stamp: the next start rebuilds once.
// FORCE_BUILD=1 rebuilds whatever the times say.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const STAMP = join(root, 'dist', '.build-stamp')
const INPUT_DIRS = ['src', 'plugins', 'components', 'prisma']
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'scripts/write-dist-package.mjs']

/** Newest modification time (ms) of a folder, everything under it, and the folder itself. */
function newestUnder (dir) {
  let newest = statSync(dir).mtimeMs
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(path))
    else newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

export function newestInput (base = root) {
  let newest = 0
  for (const dir of INPUT_DIRS) if (existsSync(join(base, dir))) newest = Math.max(newest, newestUnder(join(base, dir)))
  for (const file of INPUT_FILES) if (existsSync(join(base, file))) newest = Math.max(newest, statSync(join(base, file)).mtimeMs)
  return newest
}

function staleReason () {
  if (process.env.FORCE_BUILD === '1') return 'FORCE_BUILD=1'
  if (!existsSync(join(root, 'dist', 'src', 'server.js'))) return 'no dist/ yet'
  if (!existsSync(STAMP)) return 'dist/ was not built by `npm start` (no dist/.build-stamp)'
  const built = statSync(STAMP).mtimeMs
  const newest = newestInput()
  return newest > built ? 'sources changed since the last build' : null
}

const started = performance.now()
const reason = staleReason()
if (reason === null) {
  console.log(`dist/ is up to date (checked in ${Math.round(performance.now() - started)} ms); FORCE_BUILD=1 npm start rebuilds`)
  process.exit(0)
}
console.log(`building dist/: ${reason}`)
const buildStart = new Date()
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const result = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' })
if (result.status !== 0) process.exit(result.status ?? 1)
writeFileSync(STAMP, `${buildStart.toISOString()}\n`)
utimesSync(STAMP, buildStart, buildStart)
