// test/helpers/file-times.mjs, the reporter behind test/run.mjs's time summary: one line per
// test file from the file's own completion event, on Node 20 (absolute names) and 22+ (relative).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resolve } from 'node:path'
// @ts-expect-error a plain .mjs reporter without type declarations
import fileTimes from './helpers/file-times.mjs'

const file = resolve('test/x.test.ts')
const complete = (name: string, nesting: number, ms: number, passed: boolean) => ({ type: 'test:complete', data: { name, nesting, file, details: { duration_ms: ms, passed } } })

test('one line per file, from absolute (Node 20) or relative (Node 22+) file names; tests inside files are left out', async () => {
  async function * events () {
    yield { type: 'test:dequeue', data: { name: file, nesting: 0, file } }
    yield complete('a test in the file', 0, 3, true)
    yield complete('a subtest', 1, 1, true)
    yield complete(file, 0, 1234.4, true)
    yield complete('test/x.test.ts', 0, 99.6, false)
  }
  const lines: string[] = []
  for await (const line of fileTimes(events()) as AsyncIterable<string>) lines.push(line)
  assert.deepEqual(lines.map((line) => JSON.parse(line)), [{ file, ms: 1234, ok: true }, { file, ms: 100, ok: false }])
})
