// Admission of TCP connections, before a single byte of HTTP is read: a cap per client address
// and one for the whole process. Every socket is a file, and a process at its open-file limit
// cannot even accept /health (the client sees an empty reply). Sockets that send nothing never
// reach Fastify's hooks, so only the server's 'connection' event can refuse them.
//
// It also knows which sockets have a response in progress, so a shutdown can close the others
// at once (idle keep-alive sockets, and sockets that sent half a request and stopped) instead
// of waiting for them until the grace period kills the process.
import { BlockList, isIPv4, isIPv6, type Server, type Socket } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { LogLimiter, type LimitedLogger } from '../util/log-limiter.js'

/** How long a socket closed at shutdown may take to flush its last response. */
const FLUSH_BEFORE_CLOSE_MS = 1000

export interface ConnectionGuardOptions {
  /** CONNECTIONS_PER_CLIENT: open sockets one peer address may hold. */
  perClient: number
  /** CONNECTIONS_MAX: open sockets of the whole process (server.maxConnections). */
  max: number
  /** Peers that carry many clients' connections (TRUST_PROXY addresses): only the process cap applies to them. */
  trustedPeers?: PeerMatcher
  logger: LimitedLogger
}

export interface ConnectionStats {
  open: number
  /** Peer addresses holding at least one socket. */
  addresses: number
  perClient: number
  max: number
  /** Sockets closed on accept because their address held CONNECTIONS_PER_CLIENT. */
  refusedPerClient: number
  /** Sockets dropped on accept because the process held CONNECTIONS_MAX. */
  refusedProcess: number
  /** Sockets closed by a shutdown while they had no response in progress. */
  closedAtShutdown: number
}

export type PeerMatcher = (address: string) => boolean

/** "::ffff:10.0.0.1" and "10.0.0.1" are one client. */
export function peerAddress (socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown'
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
}

/**
 * Which peers are proxies, from TRUST_PROXY: "true" or a hop count trust the direct peer
 * whoever it is; a list of addresses and CIDR ranges trusts those; unset or "false" nobody.
 */
export function trustedPeers (trustProxy: string | undefined): PeerMatcher | undefined {
  if (trustProxy === undefined || trustProxy === 'false') return undefined
  if (trustProxy === 'true' || /^\d+$/.test(trustProxy)) return () => true
  const list = new BlockList()
  for (const part of trustProxy.split(',')) {
    const [address = '', prefix] = part.trim().split('/')
    const type = isIPv6(address) ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(prefix), type)
  }
  return (address) => list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4')
}

/** The TCP socket under a request: TLS sockets wrap it (_parent), HTTP/2 requests share their session's. */
function rawSocketOf (request: IncomingMessage): Socket | undefined {
  const stream = (request as { stream?: { session?: { socket?: Socket } } }).stream
  const socket = request.httpVersionMajor === 2 ? stream?.session?.socket : request.socket
  if (socket === undefined || socket === null) return undefined
  return (socket as Socket & { _parent?: Socket | null })._parent ?? socket
}

export class ConnectionGuard {
  private readonly byAddress = new Map<string, number>()
  /** Every open socket, with the number of its responses in progress. */
  private readonly sockets = new Map<Socket, number>()
  private refusedPerClient = 0
  private refusedProcess = 0
  private closedAtShutdown = 0
  private closing = false
  private readonly refusals: LogLimiter

  constructor (private readonly options: ConnectionGuardOptions) {
    for (const [name, value] of [['CONNECTIONS_PER_CLIENT', options.perClient], ['CONNECTIONS_MAX', options.max]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`ConnectionGuard: ${name} must be an integer >= 1`)
    }
    this.refusals = new LogLimiter(options.logger, 'refused connections')
  }

  /** Starts guarding server (an http, https or http2 server, or any net.Server). */
  attach (server: Server): void {
    server.maxConnections = this.options.max
    // Node drops sockets past maxConnections itself: count and log them.
    server.on('drop', (data?: { remoteAddress?: string }) => {
      this.refusedProcess++
      this.refusals.warn({ address: data?.remoteAddress, cap: this.options.max }, 'connection dropped: the process holds CONNECTIONS_MAX connections')
    })
    // Before the HTTP layer's own listener: a refused socket never gets a parser.
    server.prependListener('connection', (socket: Socket) => this.admit(socket))
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.track(request, response))
  }

  private admit (socket: Socket): void {
    const address = peerAddress(socket)
    const held = this.byAddress.get(address) ?? 0
    if (held >= this.options.perClient && this.options.trustedPeers?.(address) !== true) {
      this.refusedPerClient++
      this.refusals.warn({ address, held, cap: this.options.perClient }, 'connection refused: this client address holds CONNECTIONS_PER_CLIENT connections')
      // Nothing was read: no response is owed. destroy() frees the file now, whatever the peer does.
      socket.destroy()
      return
    }
    this.byAddress.set(address, held + 1)
    this.sockets.set(socket, 0)
    socket.once('close', () => {
      this.sockets.delete(socket)
      const left = (this.byAddress.get(address) ?? 1) - 1
      if (left <= 0) this.byAddress.delete(address)
      else this.byAddress.set(address, left)
    })
    if (this.closing) socket.destroy()
  }

  private track (request: IncomingMessage, response: ServerResponse): void {
    const socket = rawSocketOf(request)
    if (socket === undefined || !this.sockets.has(socket)) return
    this.sockets.set(socket, (this.sockets.get(socket) ?? 0) + 1)
    response.once('close', () => {
      const left = (this.sockets.get(socket) ?? 1) - 1
      if (!this.sockets.has(socket)) return
      this.sockets.set(socket, left)
      // While shutting down, a socket whose last response is done has nothing more to wait for.
      if (this.closing && left === 0) this.closeSocket(socket, true)
    })
  }

  /**
   * Shutdown: closes every socket with no response in progress (idle keep-alive sockets, and
   * sockets that sent part of a request and stopped), now and as each remaining response ends.
   */
  closeIdle (): void {
    this.closing = true
    for (const [socket, active] of this.sockets) {
      if (active === 0) this.closeSocket(socket, false)
    }
  }

  /** afterResponse: the last response may still sit in the socket's buffer; let it flush, briefly. */
  private closeSocket (socket: Socket, afterResponse: boolean): void {
    this.closedAtShutdown++
    if (!afterResponse) {
      socket.destroy()
      return
    }
    socket.destroySoon()
    // A peer that does not read must not hold the file (or the shutdown) either.
    setTimeout(() => socket.destroy(), FLUSH_BEFORE_CLOSE_MS).unref()
  }

  stats (): ConnectionStats {
    return {
      open: this.sockets.size,
      addresses: this.byAddress.size,
      perClient: this.options.perClient,
      max: this.options.max,
      refusedPerClient: this.refusedPerClient,
      refusedProcess: this.refusedProcess,
      closedAtShutdown: this.closedAtShutdown
    }
  }
}
