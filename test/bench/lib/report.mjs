// Formatting of results: numbers for people, tables for the terminal and the README,
// and the machine description the figures belong to.
import { execSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

export function fmt (value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a'
  if (value === Infinity) return '∞'
  if (typeof value === 'string') return value
  const abs = Math.abs(value)
  if (abs >= 100_000) return `${Math.round(value / 1000)}k`
  if (abs >= 10_000) return `${(value / 1000).toFixed(1)}k`
  if (abs >= 100) return String(Math.round(value))
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(digits)
}

export const ms = (us) => (us === undefined || us === null) ? NaN : us / 1000
export const pct = (fraction) => Number.isFinite(fraction) ? `${Math.round(fraction * 100)}%` : 'n/a'
export const kb = (bytes) => !Number.isFinite(bytes) ? 'n/a' : bytes >= 10 * 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MB` : `${(bytes / 1024).toFixed(1)} KB`

export function ratio (a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN
  return a / b
}

export function fmtRatio (r) {
  if (!Number.isFinite(r)) return 'n/a'
  if (r >= 100) return `${Math.round(r)}×`
  if (r >= 0.1 || r === 0) return `${r.toFixed(2)}×`
  return `${r.toPrecision(2)}×`
}

/** A plain-text table; the first row is the header. Also usable as Markdown (`|` separated). */
export function table (rows, { markdown = false } = {}) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)))
  const line = (r) => markdown
    ? `| ${r.map((cell, c) => String(cell ?? '').padEnd(widths[c])).join(' | ')} |`
    : r.map((cell, c) => String(cell ?? '').padEnd(widths[c])).join('  ')
  const sep = markdown ? `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |` : widths.map((w) => '-'.repeat(w)).join('  ')
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n')
}

export function machine () {
  const cpuinfo = (() => { try { return readFileSync('/proc/cpuinfo', 'utf8') } catch { return '' } })()
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  const mhz = /cpu MHz\s*:\s*(.*)/.exec(cpuinfo)?.[1]
  const sh = (cmd) => { try { return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() } catch { return null } }
  return {
    cpu: model + (mhz ? ` @ ${Math.round(Number(mhz))} MHz` : ''),
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    openFilesHardLimit: sh('ulimit -Hn'),
    gitCommit: sh('git rev-parse --short HEAD'),
    date: new Date().toISOString()
  }
}
