// Where the project's non-TypeScript files (templates, CSS, JS, migrations) live.
// Compiled code runs from dist/, but those files are read from the source tree, so a
// component finds its folder the same way under tsx and under node dist/.
import { existsSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (start: string): string {
  let dir = start
  while (!existsSync(join(dir, 'package.json'))) {
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
