// axe-core (npm, served from node_modules, never a CDN) run inside a test's page. One call
// checks the page in whatever state the test put it in: `await assertAccessible(page, 'with
// the connection notice shown')` fails with every serious or critical violation, readably;
// `await axeViolations(page)` returns them.
//
// axe is evaluated through DevTools (page.evaluate) rather than page.addScriptTag: addScriptTag
// adds an inline <script>, which the page's strict Content-Security-Policy rightly refuses
// (and PageWatch would report as a CSP violation). Evaluation runs outside the page's CSP.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { waitFor } from '../../helpers/wait.js'

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
let axeSource: string | undefined

export type AxeImpact = 'minor' | 'moderate' | 'serious' | 'critical'

export interface AxeViolation {
  id: string
  impact: AxeImpact | null
  help: string
  helpUrl: string
  /** Each failing element: its selector, its HTML (shortened) and why it fails. */
  nodes: Array<{ target: string, html: string, why: string }>
}

export interface AxeOptions {
  /** Impacts that count (default serious and critical). */
  impacts?: AxeImpact[]
  /** A CSS selector: only this part of the page (default the whole document). */
  include?: string
}

/** Injects axe-core once per document (a navigation drops it). */
async function injectAxe (page: Page): Promise<void> {
  if (await page.evaluate('typeof window.axe === "object"') === true) return
  axeSource ??= readFileSync(AXE_PATH, 'utf8')
  await page.evaluate(axeSource)
}

/** The page's violations of the given impacts (WCAG 2.x A/AA and best practices), now. */
export async function axeViolations (page: Page, options: AxeOptions = {}): Promise<AxeViolation[]> {
  await injectAxe(page)
  const impacts = options.impacts ?? ['serious', 'critical']
  const context = JSON.stringify(options.include ?? null)
  const results = await page.evaluate(`(async () => {
    const context = ${context} ?? document
    const results = await window.axe.run(context, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations']
    })
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        html: n.html.length > 200 ? n.html.slice(0, 200) + '…' : n.html,
        why: n.failureSummary || ''
      }))
    }))
  })()`) as AxeViolation[]
  return results.filter((v) => v.impact !== null && impacts.includes(v.impact))
}

/** Violations as a readable list, for an assertion message or a diagnostic. */
export function describeViolations (violations: AxeViolation[]): string {
  if (violations.length === 0) return 'none'
  return violations.map((v) => [
    `${v.id} (${v.impact ?? '?'}, ${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'}): ${v.help} ${v.helpUrl}`,
    ...v.nodes.slice(0, 5).map((n) => `  - ${n.target}: ${n.html}\n    ${n.why.replace(/\n/g, '\n    ')}`)
  ].join('\n')).join('\n')
}

/** Rule ids with element counts, e.g. { "color-contrast": 3 }: compact, for reports. */
export function violationCounts (violations: AxeViolation[]): Record<string, number> {
  return Object.fromEntries(violations.map((v) => [v.id, v.nodes.length]))
}

const ALL_IMPACTS: AxeImpact[] = ['minor', 'moderate', 'serious', 'critical']

/**
 * Fails when axe finds a serious or critical violation in the page as it is now (`state` names
 * it in the message). Waits for running animations first: an item fading in has a
 * half-transparent colour axe would measure. `report` gets every finding's counts, all impacts.
 */
export async function assertAccessible (page: Page, state: string, report?: (line: string) => void): Promise<void> {
  await waitFor(async () => await page.evaluate('document.getAnimations().every((a) => a.playState !== "running")') === true,
    { what: `animations finished before axe (${state})`, timeoutMs: 10_000, intervalMs: 20 })
  const all = await axeViolations(page, { impacts: ALL_IMPACTS })
  const violations = all.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  report?.(`axe ${state}: serious/critical ${JSON.stringify(violationCounts(violations))}, all ${JSON.stringify(violationCounts(all))}`)
  assert.deepEqual(violations.map((v) => v.id), [], `serious or critical violations ${state}:\n${describeViolations(violations)}`)
}
