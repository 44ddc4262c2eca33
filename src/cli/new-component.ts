// npm run new:component -- <name>: scaffolds components/<name>/ and its test (src/components/scaffold.ts).
import { projectRoot } from '../paths.js'
import { parseScaffoldArgs, scaffoldComponent, scaffoldUrl } from '../components/scaffold.js'

try {
  const name = parseScaffoldArgs(process.argv.slice(2))
  const { created } = scaffoldComponent(projectRoot, name)
  console.log(`created\n${created.map((path) => `  ${path}`).join('\n')}`)
  console.log(`next: use {{component "${name}" title="Hello"}} in a template, open ${scaffoldUrl(name)}?title=Hello, run npm test -- ${name}`)
} catch (error) {
  console.error(`new:component: ${(error as Error).message}`)
  process.exitCode = 1
}
