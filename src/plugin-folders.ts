// Loads the app's plugins from plugins/external/ (each wraps an outside library) and
// plugins/app/ (the app's own decorators), as fastify/demo splits them (plugins/README.md).
// Their dependencies cross the split both ways (csrf needs config, live-pages needs rate-limit),
// so one loader orders the two folders together by each fastify-plugin's name and dependencies,
// as @fastify/autoload orders a single folder. A new file in either folder is picked up.
import { readdirSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { projectRoot } from './paths.js'

/** A loaded plugin: its fastify-plugin metadata and the file it came from. */
export interface PluginEntry {
  name: string
  dependencies: readonly string[]
  file: string
  plugin: FastifyPluginAsync<any>
}

interface PluginMeta { name?: string, dependencies?: string[] }

/** Plugin modules of a folder: .ts when running from sources (tsx), .js when built. */
function pluginFiles (dir: string): string[] {
  const ext = import.meta.url.endsWith('.ts') ? /\.ts$/ : /\.js$/
  return readdirSync(dir).filter((name) => ext.test(name) && !name.endsWith('.d.ts')).sort().map((name) => join(dir, name))
}

async function loadEntry (file: string): Promise<PluginEntry> {
  const module = await import(pathToFileURL(file).href) as { default?: unknown }
  const plugin = module.default as (FastifyPluginAsync<any> & { [key: symbol]: PluginMeta | undefined }) | undefined
  const meta = typeof plugin === 'function' ? plugin[Symbol.for('plugin-meta')] : undefined
  if (plugin === undefined || meta?.name === undefined) {
    throw new Error(`${relative(projectRoot, file)} must default-export fp(plugin, { name, dependencies })`)
  }
  return { name: meta.name, dependencies: meta.dependencies ?? [], file, plugin }
}

/**
 * The entries in an order where each comes after its dependencies (otherwise in the given
 * order). A dependency outside the entries is left to Fastify, which names it if it is missing.
 */
export function dependencyOrder (entries: readonly PluginEntry[]): PluginEntry[] {
  const byName = new Map<string, PluginEntry>()
  for (const entry of entries) {
    const twin = byName.get(entry.name)
    if (twin !== undefined) throw new Error(`two plugins are named "${entry.name}": ${relative(projectRoot, twin.file)} and ${relative(projectRoot, entry.file)}`)
    byName.set(entry.name, entry)
  }
  const ordered: PluginEntry[] = []
  const done = new Set<string>()
  const visit = (entry: PluginEntry, chain: readonly string[]) => {
    if (done.has(entry.name)) return
    if (chain.includes(entry.name)) throw new Error(`plugin dependency cycle: ${[...chain, entry.name].join(' -> ')}`)
    for (const dependency of entry.dependencies) {
      const needed = byName.get(dependency)
      if (needed !== undefined) visit(needed, [...chain, entry.name])
    }
    done.add(entry.name)
    ordered.push(entry)
  }
  for (const entry of entries) visit(entry, [])
  return ordered
}

/** Every plugin of dirs, loaded, in the order they are registered. */
export async function pluginFolders (dirs: readonly string[]): Promise<PluginEntry[]> {
  // By file name across the folders, so a plugin's folder never changes the order (hooks run in
  // registration order); this is the order @fastify/autoload gave them in one folder.
  const byFileName = (a: string, b: string) => (basename(a) < basename(b) ? -1 : basename(a) > basename(b) ? 1 : 0)
  const files = dirs.flatMap(pluginFiles).sort(byFileName)
  return dependencyOrder(await Promise.all(files.map(loadEntry)))
}

/** Registers every plugin of dirs, in dependency order, each with options. */
export async function registerPluginFolders (fastify: FastifyInstance, dirs: readonly string[], options: object): Promise<void> {
  for (const { plugin } of await pluginFolders(dirs)) await fastify.register(plugin, options)
}
