// METRICS_PORT: GET /metrics without a token, on a port of its own, for a scraper on a private
// network. Nothing else is served there.
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { Metrics } from '../metrics/metrics.js'

export async function listenMetrics (metrics: Metrics, host: string, port: number, onError: (error: Error) => void): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is served on METRICS_PORT\n')
      return
    }
    metrics.scrape().then(({ contentType, body }) => {
      response.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(body)
    }, (error: unknown) => {
      onError(error as Error)
      response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Collecting metrics failed\n')
    })
  })
  // A scraper's kept-alive socket must not hold shutdown up.
  server.keepAliveTimeout = 5000
  server.listen(port, host)
  await once(server, 'listening')
  return server
}
