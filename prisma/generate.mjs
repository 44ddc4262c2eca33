#!/usr/bin/env node
// Runs `prisma generate` on machines that cannot download Prisma's native schema engine.
//
// `generate` only needs the engine to exist, not to run, and every Prisma CLI command first
// tries to download it (failing offline after ~5 s). When no engine is installed we point
// PRISMA_SCHEMA_ENGINE_BINARY at an executable that exists (node itself). When a real engine
// is present, or the user set the variable, we leave everything alone so `migrate dev` keeps
// working for them.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function hasNativeSchemaEngine () {
  const places = [join(root, 'node_modules', '@prisma', 'engines'), join(root, 'node_modules', 'prisma')]
  return places.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('schema-engine')))
}

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' }
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !hasNativeSchemaEngine()) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath
}

const cli = join(root, 'node_modules', 'prisma', 'build', 'index.js')
const result = spawnSync(process.execPath, [cli, 'generate', ...process.argv.slice(2)], {
  cwd: root, env, stdio: 'inherit'
})
process.exit(result.status ?? 1)
