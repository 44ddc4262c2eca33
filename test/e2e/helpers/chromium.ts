// The browser for the end-to-end tests: Debian's Chromium (never a downloaded one), headless,
// with a fresh profile directory per launch that is deleted afterwards.
//
// Absent Chromium skips the test with a visible reason, except under CI (CI=true or
// REQUIRE_SERVICES=1) where it is a failure: .ci/run installs Chromium, so CI must run these.
import type { TestContext } from 'node:test'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { skipUnavailable } from '../../helpers/services.js'

/** Where Chromium is looked for: CHROMIUM_PATH (set by .ci/run) first, then Debian's paths. */
export const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  .filter((path): path is string => path !== undefined && path !== '')

/** The flags the issue asks for: no sandbox (containers), no GPU, no traffic of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
]

function isExecutable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export function findChromium (): string | undefined {
  return CHROMIUM_CANDIDATES.find(isExecutable)
}

/** Chromium's path, or undefined when the test was skipped for lack of it. */
export function requireChromium (t: TestContext): string | undefined {
  const path = findChromium()
  if (path !== undefined) return path
  return skipUnavailable(t, `Chromium is not installed (looked at ${CHROMIUM_CANDIDATES.join(', ')})`, 'apt-get install chromium, or set CHROMIUM_PATH (.ci/run installs it with apt)')
}

export interface BrowserSession {
  readonly context: BrowserContext
  readonly page: Page
}

/**
 * Starts Chromium with a fresh profile and one page. It is closed (and the profile deleted)
 * when the test ends, also when it fails.
 */
export async function launchChromium (t: TestContext, executablePath: string): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'flc-e2e-chromium-'))
  const removeProfile = (): void => rmSync(userDataDir, { recursive: true, force: true })
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      timeout: 30_000
    })
  } catch (error) {
    removeProfile()
    throw error
  }
  t.after(async () => {
    await context.close().catch(() => {})
    removeProfile()
  })
  const page = context.pages()[0] ?? await context.newPage()
  return { context, page }
}
