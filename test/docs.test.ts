// The README is the front door and docs/ holds the rest: the README stays short and starts with
// the two commands, every relative link in README.md and docs/*.md reaches a file (and, for
// links into markdown, a heading), and every setting the service reads is documented.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { projectRoot } from '../src/paths.js'
import { ConfigSchema } from '../src/config.js'

const README_MAX_LINES = 300

function read (path: string): string {
  return readFileSync(join(projectRoot, path), 'utf8')
}

function markdownFiles (): string[] {
  return ['README.md', ...readdirSync(join(projectRoot, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)]
}

/** Markdown without fenced code blocks and inline code (links there are examples, not links). */
function prose (markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchor (heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')
}

function anchorsOf (markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '')
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => headingAnchor(match[1] as string)))
}

/** The relative links of a markdown file that do not resolve: "target (reason)". */
function brokenLinks (file: string, markdown: string, exists: (path: string) => boolean, readMarkdown: (path: string) => string): string[] {
  const broken: string[] = []
  for (const match of prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
    const target = match[1] as string
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
    const [path = '', anchor] = target.split('#')
    const resolved = path === '' ? file : join(dirname(file), path)
    if (!exists(resolved)) {
      broken.push(`${target} (no file ${resolved})`)
      continue
    }
    if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(readMarkdown(resolved)).has(anchor)) {
      broken.push(`${target} (no heading #${anchor} in ${resolved})`)
    }
  }
  return broken
}

test('the README is at most ~300 lines and starts with the two commands', () => {
  const readme = read('README.md')
  const lines = readme.split('\n')
  assert.ok(lines.length <= README_MAX_LINES, `README.md has ${lines.length} lines; move detail into docs/`)
  assert.equal(lines[0], '# Fastify Live Components')
  const commands = lines.slice(lines.indexOf('```sh') + 1, lines.indexOf('```sh') + 3)
  assert.match(commands[0] ?? '', /^npm ci && npm start\b/)
  assert.match(commands[1] ?? '', /^npm ci && npm test\b/)
  assert.ok(lines.indexOf('```sh') < 4, 'the commands come right after the title')
  assert.match(readme, /\(docs\/screenshot\.png\)/)
  assert.match(readme, /src\/views\/index\.hbs/, 'the tutorial names the page template to edit')
})

test('every relative link in README.md and docs/*.md resolves', () => {
  const exists = (path: string) => existsSync(join(projectRoot, path))
  const broken = markdownFiles().flatMap((file) => brokenLinks(file, read(file), exists, read).map((link) => `${file}: ${link}`))
  assert.deepEqual(broken, [])
})

test('the link check reports a missing file and a missing heading', () => {
  const files: Record<string, string> = { 'docs/a.md': '# A\n\n## Some heading: with `code`\n' }
  const exists = (path: string) => path in files
  const readMarkdown = (path: string) => files[path] as string
  const markdown = '[ok](a.md#some-heading-with-code) [gone](b.md) [no anchor](a.md#nope) `[code](x.md)` [web](https://example.com/x)'
  assert.deepEqual(brokenLinks('docs/README.md', markdown, exists, readMarkdown), [
    'b.md (no file docs/b.md)',
    'a.md#nope (no heading #nope in docs/a.md)'
  ])
})

test('every setting the service reads is in docs/configuration.md', () => {
  const configuration = read('docs/configuration.md')
  const missing = Object.keys(ConfigSchema.properties).filter((name) => !configuration.includes(`\`${name}\``))
  assert.deepEqual(missing, [], `undocumented settings: ${missing.join(', ')}`)
})
