// A TCP port nobody listens on right now, for a process or server a test starts itself
// (nginx, redis-server, a server process, a second listener). The port is released before it
// is returned, so another process could take it first; that race is rare and fails loudly.
import { createServer } from 'node:net'
import { once } from 'node:events'

export async function freePort (host = '127.0.0.1'): Promise<number> {
  const server = createServer()
  server.listen(0, host)
  await once(server, 'listening')
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('the probe server has no TCP port')
  return address.port
}
