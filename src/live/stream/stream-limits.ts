// Admission of SSE streams: a cap per client address and one for the whole process, so one
// client cannot hold every socket the process may open and /health, /ready and pages always
// get through. A refused stream is answered at once (429 or 503 with Retry-After, connection
// closed), counted, and logged at a bounded rate.
import type { LiveLogger } from '../broker/broker.js'
import { LogLimiter } from '../../util/log-limiter.js'
import { StreamsMaxError, StreamsPerClientError } from '../../errors.js'

export interface StreamLimitOptions {
  /** STREAMS_PER_CLIENT: concurrent streams one client address may hold. */
  perClient: number
  /** STREAMS_MAX: concurrent streams of the whole process. */
  max: number
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds: number
  logger: LiveLogger
}

export interface StreamLimitStats {
  /** Open streams, all addresses together. */
  open: number
  /** Client addresses holding at least one stream. */
  addresses: number
  perClient: number
  max: number
  /** Streams refused because their address was at its cap (429). */
  refusedPerClient: number
  /** Streams refused because the process was at its cap (503). */
  refusedProcess: number
}

export class StreamLimits {
  private readonly byAddress = new Map<string, number>()
  private open = 0
  private refusedPerClient = 0
  private refusedProcess = 0
  private readonly refusals: LogLimiter

  constructor (private readonly options: StreamLimitOptions) {
    for (const [name, value] of [['perClient', options.perClient], ['max', options.max]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`StreamLimits: ${name} must be an integer >= 1 (STREAMS_PER_CLIENT / STREAMS_MAX)`)
    }
    this.refusals = new LogLimiter(options.logger, 'refused streams')
  }

  /**
   * Takes a slot for address or throws StreamsPerClientError (429) / StreamsMaxError (503), with retryAfterSeconds. The returned function gives it back;
   * calling it more than once is harmless.
   */
  acquire (address: string): () => void {
    const held = this.byAddress.get(address) ?? 0
    if (held >= this.options.perClient) {
      this.refusedPerClient++
      this.refusals.warn({ address, held, cap: this.options.perClient }, 'stream refused: this client address holds STREAMS_PER_CLIENT streams')
      throw Object.assign(new StreamsPerClientError(held, this.options.perClient), { retryAfterSeconds: this.options.retryAfterSeconds })
    }
    if (this.open >= this.options.max) {
      this.refusedProcess++
      this.refusals.warn({ address, open: this.open, cap: this.options.max }, 'stream refused: the process holds STREAMS_MAX streams')
      throw Object.assign(new StreamsMaxError(), { retryAfterSeconds: this.options.retryAfterSeconds })
    }
    this.byAddress.set(address, held + 1)
    this.open++
    let released = false
    return () => {
      if (released) return
      released = true
      this.open--
      const left = (this.byAddress.get(address) ?? 1) - 1
      if (left <= 0) this.byAddress.delete(address)
      else this.byAddress.set(address, left)
    }
  }

  stats (): StreamLimitStats {
    return {
      open: this.open,
      addresses: this.byAddress.size,
      perClient: this.options.perClient,
      max: this.options.max,
      refusedPerClient: this.refusedPerClient,
      refusedProcess: this.refusedProcess
    }
  }
}
