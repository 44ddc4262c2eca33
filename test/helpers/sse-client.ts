// A streaming SSE client over node:http for tests: parses frames the way browsers do
// (WHATWG event-stream rules: CRLF/CR/LF line ends, one space after the colon dropped,
// lastEventId kept across events, frames without data not dispatched).
import { request, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http'
import { EventEmitter } from 'node:events'

export interface ReceivedEvent {
  event: string
  data: string
  /** The stream's lastEventId after this event (what a browser would send on reconnect). */
  lastEventId: string
}

export class SseTestClient extends EventEmitter {
  readonly events: ReceivedEvent[] = []
  readonly comments: string[] = []
  retry: number | undefined
  lastEventId = ''
  /** Everything received, as text (framing assertions). */
  raw = ''
  ended = false
  private partial = ''
  private skipLF = false
  private idBuffer = ''
  private eventType = ''
  private dataBuffer = ''

  private constructor (readonly req: ClientRequest, readonly res: IncomingMessage) {
    super()
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => { this.feed(chunk); this.emit('update') })
    res.on('end', () => { this.ended = true; this.emit('update') })
    res.on('close', () => { this.ended = true; this.emit('update') })
    res.on('error', () => {})
  }

  static connect (url: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
    return new Promise((resolve, reject) => {
      // agent: false: a socket of its own, never pooled, closed with the client.
      const req = request(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false })
      req.once('response', (res) => resolve(new SseTestClient(req, res)))
      req.once('error', reject)
      req.end()
    })
  }

  get status (): number | undefined { return this.res.statusCode }
  get headers (): IncomingHttpHeaders { return this.res.headers }

  /** Events other than resets, as their data. */
  data (event?: string): string[] {
    return this.events.filter((e) => event === undefined || e.event === event).map((e) => e.data)
  }

  /** Resolves when check() holds (re-checked on every received chunk); fails after timeoutMs. */
  waitFor (check: (client: SseTestClient) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check(this)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const onUpdate = () => {
        if (!check(this)) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`SSE client: timed out waiting for ${what}; got ${this.events.length} events: ${JSON.stringify(this.events.slice(-5))}`))
      }, timeoutMs)
      const cleanup = () => { clearTimeout(timer); this.off('update', onUpdate) }
      this.on('update', onUpdate)
    })
  }

  waitForEvents (count: number, what = `${count} events`): Promise<void> {
    return this.waitFor((c) => c.events.length >= count, what)
  }

  close (): void {
    this.req.destroy()
  }

  private feed (text: string): void {
    this.raw += text
    let s = this.partial + text
    if (this.skipLF && s.startsWith('\n')) s = s.slice(1)
    this.skipLF = false
    const lineBreak = /\r\n|\r|\n/g
    let start = 0
    let match: RegExpExecArray | null
    while ((match = lineBreak.exec(s)) !== null) {
      this.line(s.slice(start, match.index))
      start = lineBreak.lastIndex
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && start === s.length) this.skipLF = true
    }
    this.partial = s.slice(start)
  }

  private line (line: string): void {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).replace(/^ /, ''))
      return
    }
    const colon = line.indexOf(':')
    const name = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (name === 'id') {
      if (!value.includes('\0')) this.idBuffer = value
    } else if (name === 'event') {
      this.eventType = value
    } else if (name === 'data') {
      this.dataBuffer += value + '\n'
    } else if (name === 'retry' && /^\d+$/.test(value)) {
      this.retry = Number(value)
    }
  }

  private dispatch (): void {
    this.lastEventId = this.idBuffer
    if (this.dataBuffer === '') {
      this.eventType = ''
      return
    }
    this.events.push({ event: this.eventType || 'message', data: this.dataBuffer.slice(0, -1), lastEventId: this.lastEventId })
    this.dataBuffer = ''
    this.eventType = ''
  }
}
