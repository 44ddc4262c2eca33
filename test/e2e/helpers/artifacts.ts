// What a failing scenario leaves behind for a person to look at: a screenshot of the page,
// the server processes' output and the browser's errors, under test/e2e/artifacts/
// (gitignored). The test's own diagnostics get the tail of the server output too.
import type { TestContext } from 'node:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import type { PageWatch } from './page-watch.js'
import type { ServerProcess } from '../../helpers/server-process.js'

export const ARTIFACTS_DIR = join(import.meta.dirname, '..', 'artifacts')

const TAIL_LINES = 40

function slug (name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60)
}

function tail (text: string): string {
  return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n')
}

export async function saveFailureArtifacts (t: TestContext, scenario: string, page: Page, servers: ServerProcess[], watch: PageWatch): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  const base = join(ARTIFACTS_DIR, slug(scenario))
  try {
    await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5000 })
  } catch (error) {
    t.diagnostic(`could not take a failure screenshot: ${(error as Error).message}`)
  }
  const serverLogs = servers.map((s) => `--- ${s.name} (${s.url}) ---\n${s.logs()}`).join('\n')
  writeFileSync(`${base}-server.log`, serverLogs)
  writeFileSync(`${base}-browser.log`, `${watch.summary()}\n\nRequests:\n${watch.requests.join('\n')}\n`)
  t.diagnostic(`artifacts: ${base}.png, ${base}-server.log, ${base}-browser.log`)
  // One diagnostic per line: the test reporters escape newlines inside one.
  const lines = [
    'browser:', ...watch.summary().split('\n'),
    ...servers.flatMap((s) => [`${s.name} output (last ${TAIL_LINES} lines):`, ...(tail(s.logs()) || '(none)').split('\n')])
  ]
  for (const line of lines) t.diagnostic(line)
}
