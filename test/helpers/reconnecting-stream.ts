// A lean EventSource for load tests (hundreds at once): reconnects like a browser (after the
// server's retry interval, sending Last-Event-ID), keeps only what the test counts: the
// sequence numbers it received, reset events, and how long each reconnect took.
import { request, type ClientRequest } from 'node:http'

export class ReconnectingStream {
  /** Sequence numbers of received events, in arrival order (duplicates kept, to be counted). */
  readonly received: number[] = []
  readonly resets: string[] = []
  /** Milliseconds from losing the stream to the next 200 response. */
  readonly reconnectMs: number[] = []
  /** Responses other than 200 (e.g. 502/503 while every instance was away). */
  failedAttempts = 0
  readonly failedStatuses: Record<string, number> = {}
  opened = false
  private lastEventId = ''
  private retryMs = 1000
  private lostAt: number | null = null
  private req: ClientRequest | null = null
  private stopped = false
  private partial = ''
  private id = ''
  private event = ''
  private data = ''

  constructor (private readonly url: string, private readonly sequenceOf: (data: string) => number | null) {}

  start (): void {
    this.connect()
  }

  stop (): void {
    this.stopped = true
    this.req?.destroy()
  }

  private connect (): void {
    if (this.stopped) return
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    if (this.lastEventId !== '') headers['Last-Event-ID'] = this.lastEventId
    let lost = false
    const onLost = () => {
      if (lost) return
      lost = true
      this.lostAt ??= performance.now()
      this.partial = ''
      this.id = this.event = this.data = ''
      if (!this.stopped) setTimeout(() => this.connect(), this.retryMs)
    }
    const req = request(this.url, { headers, agent: false })
    this.req = req
    req.on('error', onLost)
    req.on('response', (res) => {
      res.on('error', onLost)
      res.on('close', onLost)
      if (res.statusCode !== 200) {
        this.failedAttempts++
        this.failedStatuses[String(res.statusCode)] = (this.failedStatuses[String(res.statusCode)] ?? 0) + 1
        res.resume()
        return
      }
      if (this.lostAt !== null) {
        this.reconnectMs.push(performance.now() - this.lostAt)
        this.lostAt = null
      }
      this.opened = true
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => this.feed(chunk))
    })
    req.end()
  }

  private feed (chunk: string): void {
    const lines = (this.partial + chunk).split('\n')
    this.partial = lines.pop() ?? ''
    for (const line of lines) {
      if (line === '') {
        this.lastEventId = this.id
        if (this.data !== '') this.dispatch(this.event || 'message', this.data.slice(0, -1))
        this.event = this.data = ''
      } else if (line.startsWith('id:')) {
        this.id = line.slice(3).replace(/^ /, '')
      } else if (line.startsWith('event:')) {
        this.event = line.slice(6).replace(/^ /, '')
      } else if (line.startsWith('data:')) {
        this.data += line.slice(5).replace(/^ /, '') + '\n'
      } else if (line.startsWith('retry:') && /^\d+$/.test(line.slice(6).trim())) {
        this.retryMs = Number(line.slice(6).trim())
      }
    }
  }

  private dispatch (event: string, data: string): void {
    if (event === 'reset') {
      this.resets.push(data)
      return
    }
    const sequence = this.sequenceOf(data)
    if (sequence !== null) this.received.push(sequence)
  }
}

/** Lost and duplicated sequence numbers, given that 1..total were published. */
export function countGaps (received: number[], total: number): { lost: number, duplicated: number, outOfOrder: number } {
  const seen = new Set<number>()
  let duplicated = 0
  let outOfOrder = 0
  let previous = 0
  for (const n of received) {
    if (seen.has(n)) duplicated++
    else seen.add(n)
    if (n < previous) outOfOrder++
    previous = n
  }
  let lost = 0
  for (let n = 1; n <= total; n++) if (!seen.has(n)) lost++
  return { lost, duplicated, outOfOrder }
}

export function percentile (values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
