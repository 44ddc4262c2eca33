// A node:test reporter used by test/run.mjs beside the usual one: one JSON line per test file,
// {"file","ms","ok"}, from the file's own "test:complete" event (the wall time of the file's
// child process, start-up included). Node 20 names the file by its absolute path, Node 22+ by
// its relative one; both give its absolute path as data.file.
import { resolve } from 'node:path'

export default async function * fileTimes (source) {
  for await (const { type, data } of source) {
    if (type !== 'test:complete' || data.nesting !== 0 || data.file === undefined) continue
    if (resolve(data.name) !== data.file) continue // a top-level test inside a file, not the file
    yield `${JSON.stringify({ file: data.file, ms: Math.round(data.details.duration_ms), ok: data.details.passed })}\n`
  }
}
