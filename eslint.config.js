// Lint rules: neostandard (the style of the Fastify organisation), with TypeScript support.
import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['dist/**', 'src/generated/**', 'node_modules/**', 'data/**', 'test/bench/results/**', 'test/e2e/artifacts/**']
})
