// URLs and tags of component CSS/JS. URLs carry a content hash so browsers may cache them
// forever in production and still see every change.
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Component } from './define.js'

export const ASSET_PREFIX = '/components/'

export interface ComponentAssets {
  css: string[]
  js: string[]
}

const versions = new Map<string, { checkedAt: number, mtimeMs: number, version: string }>()

// A file's stat is re-checked at most once a second: edits show up in development without a
// stat call on every asset URL of every request.
const RECHECK_MS = 1000

function versionOf (path: string): string {
  const now = Date.now()
  const cached = versions.get(path)
  if (cached !== undefined && now - cached.checkedAt < RECHECK_MS) return cached.version
  const mtimeMs = statSync(path).mtimeMs
  if (cached !== undefined && cached.mtimeMs === mtimeMs) {
    cached.checkedAt = now
    return cached.version
  }
  const version = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 10)
  versions.set(path, { checkedAt: now, mtimeMs, version })
  return version
}

/** The content version of a component's asset file, as its URLs carry it (?v=). */
export function assetVersion (component: Component, file: string): string {
  return versionOf(join(component.dir, file))
}

function urlOf (component: Component, file: string): string {
  return `${ASSET_PREFIX}${component.name}/${file}?v=${versionOf(join(component.dir, file))}`
}

export function assetsOf (components: Iterable<Component>): ComponentAssets {
  const assets: ComponentAssets = { css: [], js: [] }
  for (const component of components) {
    for (const file of component.css) assets.css.push(urlOf(component, file))
    for (const file of component.js) assets.js.push(urlOf(component, file))
  }
  return assets
}

function escapeAttribute (value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
}

function tagsOf (component: Component): string {
  const name = escapeAttribute(component.name)
  const tags: string[] = []
  for (const file of component.css) tags.push(`<link rel="stylesheet" href="${escapeAttribute(urlOf(component, file))}" data-component-asset="${name}">`)
  for (const file of component.js) tags.push(`<script src="${escapeAttribute(urlOf(component, file))}" defer data-component-asset="${name}"></script>`)
  return tags.join('\n')
}

// A component's tags are built once a RECHECK_MS at most (a fragment requested without htmx
// carries them inline: building them per request was ~6% of the cached route's CPU).
const tagCache = new WeakMap<Component, { builtAt: number, tags: string }>()

function cachedTagsOf (component: Component): string {
  const now = Date.now()
  const cached = tagCache.get(component)
  if (cached !== undefined && now - cached.builtAt < RECHECK_MS) return cached.tags
  const tags = tagsOf(component)
  tagCache.set(component, { builtAt: now, tags })
  return tags
}

/** <link>/<script> tags; data-component-asset lets the page tell the server what it has. */
export function assetTags (components: Iterable<Component>): string {
  let html = ''
  for (const component of components) {
    if (component.css.length === 0 && component.js.length === 0) continue
    html = html === '' ? cachedTagsOf(component) : `${html}\n${cachedTagsOf(component)}`
  }
  return html
}

const NONE: ReadonlySet<string> = new Set()

/** Parses the FLC-Components request header: the components whose assets the page has. */
export function parseLoadedComponents (header: string | string[] | undefined): ReadonlySet<string> {
  if (header === undefined || header === '') return NONE
  const value = Array.isArray(header) ? header.join(',') : header
  return new Set(value.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
}
