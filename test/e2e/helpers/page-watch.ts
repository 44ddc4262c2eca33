// Everything the browser reports that a person should never see or cause: console errors,
// uncaught exceptions, dialogs (an alert() would mean injected script ran), failed requests,
// and any request that leaves the service's origin (htmx and all assets are served locally).
//
// While the server is deliberately down (scenario 3), the live stream failing to connect is
// the expected, visible-only-in-devtools effect: those errors are excused inside an explicit
// window, and only when they concern the stream.
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'

export const PAGE_PROBE_SCRIPT = join(import.meta.dirname, 'in-page-probe.js')

/** Paths of the live streams: a feed's own, and the page stream every feed of a page shares. */
const STREAM_PATHS = new Set(['/notification/', '/live/'])

/**
 * Console errors a stream outage causes: Chromium's line for the stream request that failed
 * (its location is the stream's URL), and htmx's logError of the EventSource error event
 * (htmx:sseError), which prints as "[object Event]" from htmx itself.
 */
function isStreamOutageError (text: string, location: string): boolean {
  const path = location === '' ? '' : new URL(location).pathname
  if (STREAM_PATHS.has(path)) return true
  return text === '[object Event]' && /\/htmx[^/]*\.js$/.test(path)
}

interface BrowserEvent {
  kind: 'console error' | 'page error' | 'dialog' | 'failed request' | 'foreign request' | 'csp violation'
  detail: string
  /** The outage window this happened in, if any. */
  during: string | null
  excused: boolean
}

export class PageWatch {
  private readonly events: BrowserEvent[] = []
  private outage: string | null = null
  readonly requests: string[] = []

  private constructor (readonly origin: string) {}

  /** Starts watching the context (all its pages) and installs the page probe. */
  static async attach (context: BrowserContext, page: Page, origin: string): Promise<PageWatch> {
    const watch = new PageWatch(origin)
    // Any Content-Security-Policy violation fails the test: the pages must satisfy the policy
    // (the probe forwards the page's securitypolicyviolation events here).
    await context.exposeBinding('__flcCspViolation', (_source, detail: string) => watch.add('csp violation', detail, false))
    await context.addInitScript({ path: PAGE_PROBE_SCRIPT })
    context.on('request', (request) => {
      const url = request.url()
      watch.requests.push(url)
      if (!watch.isLocal(url)) watch.add('foreign request', `${request.method()} ${url}`, false)
    })
    context.on('requestfailed', (request) => {
      const url = request.url()
      const excusable = watch.isLocal(url) && STREAM_PATHS.has(new URL(url).pathname)
      watch.add('failed request', `${request.method()} ${url}: ${request.failure()?.errorText ?? 'unknown'}`, excusable)
    })
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      const where = message.location().url
      const excusable = watch.isLocal(where) && isStreamOutageError(message.text(), where)
      watch.add('console error', `${message.text()}${where === '' ? '' : ` (at ${where})`}`, excusable)
    })
    page.on('pageerror', (error) => watch.add('page error', error.stack ?? error.message, false))
    page.on('dialog', (dialog) => {
      watch.add('dialog', `${dialog.type()}: ${dialog.message()}`, false)
      dialog.dismiss().catch(() => {})
    })
    return watch
  }

  /** data:, blob: and about: URLs never leave the machine; anything else must be our origin. */
  isLocal (url: string): boolean {
    return url.startsWith(`${this.origin}/`) || /^(data|blob|about):/.test(url)
  }

  /** From now on, stream connection errors are expected (the server is being restarted). */
  beginOutage (what: string): void {
    this.outage = what
  }

  endOutage (): void {
    this.outage = null
  }

  private add (kind: BrowserEvent['kind'], detail: string, excusable: boolean): void {
    this.events.push({ kind, detail, during: this.outage, excused: excusable && this.outage !== null })
  }

  /** Everything not excused, one line each. */
  problems (): string[] {
    return this.events.filter((e) => !e.excused).map((e) => `${e.kind}: ${e.detail}`)
  }

  /** Everything, excused or not (for failure reports and the test's diagnostics). */
  summary (): string {
    if (this.events.length === 0) return '(no browser errors)'
    return this.events.map((e) => `${e.excused ? 'excused' : 'PROBLEM'} ${e.kind}${e.during === null ? '' : ` during ${e.during}`}: ${e.detail}`).join('\n')
  }
}
