// One browser's event stream on a raw Node response, with a hard bound on what may queue up
// for it. Writes never wait: a client that does not read fast enough is disconnected (it will
// reconnect with Last-Event-ID and replay from history) instead of slowing others or growing
// server memory.
import type { ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { encodeRetry } from './sse-frame.js'

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform: compressing proxies would otherwise buffer the stream.
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // nginx: do not buffer this response.
  'X-Accel-Buffering': 'no'
} as const

// HTTP/2 forbids connection-specific headers (Node refuses to send them).
const { Connection: _connection, ...SSE_HEADERS_HTTP2 } = SSE_HEADERS

export type CloseReason = 'disconnected' | 'evicted' | 'ended'

function ignore (): void {}

const CRLF = Buffer.from('\r\n')
// The HTTP chunk around each frame is built once per frame and shared by every client: the
// fan-out then costs one socket write of one Buffer per client, not Node's per-write chunk
// encoding (a header string and three buffers per write).
const chunks = new WeakMap<Buffer, Buffer>()

// Writes are corked until the end of the current tick: when several messages are dispatched
// in one tick (a burst read from Redis in one go), each client gets them in one writev instead
// of one syscall per message. One nextTick serves every corked socket.
const corked: Duplex[] = []

function uncorkAll (): void {
  for (const socket of corked) socket.uncork()
  corked.length = 0
}

function corkForThisTick (socket: Duplex): void {
  if (socket.writableCorked > 0) return
  socket.cork()
  if (corked.push(socket) === 1) process.nextTick(uncorkAll)
}

function asChunk (frame: Buffer): Buffer {
  let chunk = chunks.get(frame)
  if (chunk === undefined) {
    chunk = Buffer.concat([Buffer.from(`${frame.length.toString(16)}\r\n`), frame, CRLF])
    chunks.set(frame, chunk)
  }
  return chunk
}

export class SseConnection {
  private reason: CloseReason | null = null
  private readonly closeListeners: Array<(reason: CloseReason) => void> = []
  /** Tracked writes still waiting; all settle when the connection closes. */
  private readonly tracked = new Set<() => void>()
  /** Where frames go: the connection's socket (HTTP/1.x), or its HTTP/2 stream. */
  private readonly socket: Duplex | null = null
  /** Whether Node chose chunked encoding (HTTP/1.1); an HTTP/1.0 body is close-delimited. */
  private readonly chunked: boolean = false

  /**
   * Sends the headers and the retry interval. maxQueueBytes bounds the bytes the response
   * may hold unsent (response.writableLength: Node's buffer plus the socket's).
   */
  constructor (private readonly res: ServerResponse, private readonly maxQueueBytes: number, retryMs: number) {
    if (res.destroyed || res.socket === null || res.socket.destroyed) {
      // The browser left while the route was getting ready: 'close' has already been emitted.
      this.reason = 'disconnected'
      return
    }
    res.once('close', () => this.finish('disconnected'))
    // Write errors (peer reset) also end in 'close'; without a listener they would throw.
    res.on('error', ignore)
    // HTTP/2 (http2 compat response): frames go to the request's own stream, unchunked.
    const http2Stream = (res as unknown as { stream?: Duplex & { setTimeout (ms: number): void } }).stream
    // Idle SSE streams are normal; heartbeats keep them alive, not socket timeouts.
    if (http2Stream !== undefined) http2Stream.setTimeout(0)
    else res.socket?.setTimeout(0)
    res.writeHead(200, http2Stream === undefined ? SSE_HEADERS : SSE_HEADERS_HTTP2)
    // Node writes the head; frames then go straight to the socket (see asChunk). Nothing else
    // may write to res until end(), whose res.end() adds the final zero-length chunk.
    res.flushHeaders()
    this.socket = http2Stream ?? res.socket
    this.chunked = http2Stream === undefined && res.chunkedEncoding
    this.write(encodeRetry(retryMs))
  }

  get closed (): boolean {
    return this.reason !== null || this.res.destroyed || this.res.writableEnded
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get queuedBytes (): number {
    return (this.socket?.writableLength ?? 0) + this.res.writableLength
  }

  private wire (frame: Buffer): Buffer {
    return this.chunked ? asChunk(frame) : frame
  }

  /**
   * Queues a frame; false when the connection is gone or was just evicted for being slow.
   * A frame always goes into an empty queue, so a frame bigger than the bound still reaches
   * a client that keeps up.
   */
  write (frame: Buffer): boolean {
    if (this.closed || this.socket === null || frame.length === 0) return false
    const queued = this.socket.writableLength
    if (queued > 0 && queued + frame.length > this.maxQueueBytes) {
      this.evict()
      return false
    }
    corkForThisTick(this.socket)
    this.socket.write(this.wire(frame))
    return true
  }

  /**
   * Like write(), and also reports when this frame (so everything queued before it) has been
   * handed to the kernel, or the connection closed. null when it was not written. Costs a
   * closure per call: for replays, not for the fan-out path.
   */
  writeTracked (frame: Buffer): Promise<void> | null {
    if (this.closed || this.socket === null || frame.length === 0) return null
    const socket = this.socket
    const queued = socket.writableLength
    if (queued > 0 && queued + frame.length > this.maxQueueBytes) {
      this.evict()
      return null
    }
    return new Promise((resolve) => {
      // One close listener for all tracked writes (see finish()), not one per frame: a long
      // replay would otherwise pile listeners up on the response.
      const done = () => {
        if (this.tracked.delete(done)) resolve()
      }
      this.tracked.add(done)
      socket.write(this.wire(frame), done)
    })
  }

  /**
   * Writes a shared frame (the same Buffer for every client) followed by a small text of this
   * connection's own (e.g. "id: …\n\n" of a page stream), in one tick's writev. false when
   * the connection is gone or was just evicted.
   */
  writeWithTail (shared: Buffer, tail: string): boolean {
    if (this.closed || this.socket === null) return false
    const queued = this.socket.writableLength
    if (queued > 0 && queued + shared.length + tail.length > this.maxQueueBytes) {
      this.evict()
      return false
    }
    corkForThisTick(this.socket)
    if (shared.length > 0) this.socket.write(this.wire(shared))
    // The tail is ASCII: its length is its byte length.
    this.socket.write(this.chunked ? `${tail.length.toString(16)}\r\n${tail}\r\n` : tail, 'latin1')
    return true
  }

  /** writeWithTail(), reporting when it has been handed to the kernel (see writeTracked). */
  writeWithTailTracked (shared: Buffer, tail: string): Promise<void> | null {
    if (this.closed || this.socket === null) return null
    const socket = this.socket
    const queued = socket.writableLength
    if (queued > 0 && queued + shared.length + tail.length > this.maxQueueBytes) {
      this.evict()
      return null
    }
    return new Promise((resolve) => {
      const done = () => {
        if (this.tracked.delete(done)) resolve()
      }
      this.tracked.add(done)
      if (shared.length > 0) socket.write(this.wire(shared))
      socket.write(this.chunked ? `${tail.length.toString(16)}\r\n${tail}\r\n` : tail, 'latin1', done)
    })
  }

  /** Drops the connection now (frees its queue at once). */
  evict (): void {
    if (this.closed) return
    this.finish('evicted')
    this.res.destroy()
  }

  /** Ends the stream cleanly; a connection with unsent bytes is dropped instead of awaited. */
  end (): void {
    if (this.closed) return
    const backlog = this.queuedBytes > 0
    this.finish('ended')
    if (backlog) this.res.destroy()
    else this.res.end()
  }

  /** Called once, when the connection closes for any reason. */
  onClose (listener: (reason: CloseReason) => void): void {
    if (this.reason !== null) listener(this.reason)
    else this.closeListeners.push(listener)
  }

  private finish (reason: CloseReason): void {
    if (this.reason !== null) return
    this.reason = reason
    for (const done of [...this.tracked]) done()
    const listeners = this.closeListeners.splice(0)
    for (const listener of listeners) listener(reason)
  }
}
