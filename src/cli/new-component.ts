// npm run new:component -- <name> [--live]: scaffolds components/<name>/ and its test (src/components/scaffold.ts).
import { projectRoot } from '../paths.js'
import { parseScaffoldArgs, scaffoldComponent, scaffoldUrl } from '../components/scaffold.js'

try {
  const { name, live } = parseScaffoldArgs(process.argv.slice(2))
  const { created } = scaffoldComponent(projectRoot, name, live)
  console.log(`created\n${created.map((path) => `  ${path}`).join('\n')}`)
  if (live) console.log(`next: put {{component "${name}"}} in a page, call fastify.broadcasts.announce(['${name}']) when its data changes, run npm test -- ${name}`)
  else console.log(`next: use {{component "${name}" title="Hello"}} in a template, open ${scaffoldUrl(name)}?title=Hello, run npm test -- ${name}`)
} catch (error) {
  console.error(`new:component: ${(error as Error).message}`)
  process.exitCode = 1
}
