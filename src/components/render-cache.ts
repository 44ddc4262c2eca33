// Rendered HTML of cacheable components, keyed by component and props, with a TTL and tags.
// A write to the data behind a component invalidates its tag (in this process directly, in the
// others through the broker: plugins/app/component-cache.ts); the TTL bounds staleness for writes
// that bypass the app (SQL by hand, another service). Bounded: the oldest entries go first.
import type { Component } from './define.js'

export interface CachedRender {
  html: string
  used: Component[]
}

interface Entry extends CachedRender {
  expires: number
  tags: readonly string[]
}

export class RenderCache {
  readonly #entries = new Map<string, Entry>()
  readonly #invalidated = new Set<(tag: string) => void>()
  hits = 0
  misses = 0

  constructor (readonly maxEntries = 1000) {}

  get (key: string, now = Date.now()): CachedRender | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.expires <= now) {
      if (entry !== undefined) this.#entries.delete(key)
      this.misses++
      return undefined
    }
    this.hits++
    return entry
  }

  set (key: string, value: CachedRender, ttlMs: number, tags: readonly string[], now = Date.now()): void {
    if (ttlMs <= 0) return
    this.#entries.delete(key) // re-insert at the end: Map order is the eviction order
    this.#entries.set(key, { ...value, expires: now + ttlMs, tags })
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
  }

  /** Drops every entry with this tag; `broadcast` false when the news came from elsewhere. */
  invalidate (tag: string, broadcast = true): void {
    for (const [key, entry] of this.#entries) {
      if (entry.tags.includes(tag)) this.#entries.delete(key)
    }
    if (broadcast) for (const listener of this.#invalidated) listener(tag)
  }

  /** Listens to local invalidations (to tell other processes). */
  onInvalidate (listener: (tag: string) => void): () => void {
    this.#invalidated.add(listener)
    return () => { this.#invalidated.delete(listener) }
  }

  get size (): number {
    return this.#entries.size
  }
}
