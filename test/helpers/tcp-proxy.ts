// A TCP proxy in front of a real service (PostgreSQL) for fault tests:
// - pass:   bytes flow both ways
// - freeze: connections stay open but no byte moves (a hung server, a black-holed network)
// - cut:    every connection is reset and new ones are closed at once (the server is gone)
import { createServer, connect, type Server, type Socket } from 'node:net'
import { once } from 'node:events'

export type ProxyMode = 'pass' | 'freeze' | 'cut'

export class TcpProxy {
  private mode: ProxyMode = 'pass'
  private readonly pairs = new Set<[Socket, Socket]>()

  private constructor (private readonly server: Server, readonly port: number) {}

  static async start (targetHost: string, targetPort: number): Promise<TcpProxy> {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('proxy has no port')
    const proxy = new TcpProxy(server, address.port)
    server.on('connection', (client: Socket) => proxy.accept(client, targetHost, targetPort))
    return proxy
  }

  private accept (client: Socket, host: string, port: number): void {
    client.on('error', () => {})
    if (this.mode === 'cut') {
      client.destroy()
      return
    }
    const upstream = connect(port, host)
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    const pair: [Socket, Socket] = [client, upstream]
    this.pairs.add(pair)
    client.on('close', () => this.pairs.delete(pair))
    client.pipe(upstream)
    upstream.pipe(client)
    if (this.mode === 'freeze') this.pause(pair)
  }

  private pause ([a, b]: [Socket, Socket]): void {
    a.pause(); b.pause()
    a.unpipe(b); b.unpipe(a)
  }

  setMode (mode: ProxyMode): void {
    this.mode = mode
    for (const pair of this.pairs) {
      if (mode === 'freeze') this.pause(pair)
      else if (mode === 'cut') { pair[0].destroy(); pair[1].destroy() } else {
        pair[0].pipe(pair[1]); pair[1].pipe(pair[0])
        pair[0].resume(); pair[1].resume()
      }
    }
  }

  get connections (): number { return this.pairs.size }

  async close (): Promise<void> {
    for (const [a, b] of this.pairs) { a.destroy(); b.destroy() }
    await new Promise((resolve) => this.server.close(resolve))
  }
}
