// npm run new:component -- <name> [--live | --channel]: scaffolds components/<name>/ and its test (src/components/scaffold.ts).
import { projectRoot } from '../paths.js'
import { parseScaffoldArgs, SCAFFOLD_USAGE, scaffoldChannel, scaffoldComponent, scaffoldUrl } from '../components/scaffold.js'

const args = process.argv.slice(2)
if (args.includes('--help') || args.includes('-h')) {
  console.log(SCAFFOLD_USAGE)
} else {
  scaffold(args)
}

function scaffold (args: string[]): void {
  try {
    const { name, kind } = parseScaffoldArgs(args)
    const { created } = scaffoldComponent(projectRoot, name, kind)
    console.log(`created\n${created.map((path) => `  ${path}`).join('\n')}`)
    if (kind === 'channel') console.log(`next: put {{component "${name}"}} in a page, publish with LIVE_PUBLISH_TOKEN=<16+ chars> set: npm run publish -- ${name} '{"text":"hi"}' (or POST /live/publish/${name}; with Redis, PUBLISH on ${scaffoldChannel(name)}), run node test/run.mjs test/components/${name}.test.ts`)
    else if (kind === 'live') console.log(`next: put {{component "${name}"}} in a page, call fastify.broadcasts.announce(['${name}']) when its data changes, run node test/run.mjs test/components/${name}.test.ts`)
    else console.log(`next: use {{component "${name}" title="Hello"}} in a template, open ${scaffoldUrl(name)}?title=Hello, run node test/run.mjs test/components/${name}.test.ts`)
  } catch (error) {
    console.error(`new:component: ${(error as Error).message}`)
    process.exitCode = 1
  }
}
