// Where the project's non-TypeScript files (templates, CSS, JS, migrations) live.
// Compiled code runs from dist/, but those files are read from the source tree, so a
// component finds its folder the same way under tsx and under node dist/.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project's package.json, not dist/package.json (which only maps '#flc' for the build: it has no name). */
function isProjectRoot (dir: string): boolean {
  const file = join(dir, 'package.json')
  return existsSync(file) && typeof (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'string'
}

function findRoot (start: string): string {
  let dir = start
  while (!isProjectRoot(dir)) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`No package.json above ${start}`)
    dir = parent
  }
  return dir
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)))

/** The source folder of a module, given its import.meta.url (dist/x/y.js → x/). */
export function sourceDirOf (moduleUrl: string): string {
  const dir = dirname(fileURLToPath(moduleUrl))
  const rel = relative(projectRoot, dir)
  const parts = rel.split(sep)
  return parts[0] === 'dist' ? join(projectRoot, ...parts.slice(1)) : dir
}
