// TLS_CERT + TLS_KEY: the service speaks HTTPS, HTTP/2 to clients that offer it and HTTP/1.1 to
// the others (ALPN); SSE streams (the page stream and a component's own) work over both.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runServerToExit, startServer } from '../helpers/server-process.js'

/** A self-signed certificate for 127.0.0.1 (openssl, as an operator would make one). */
async function selfSigned (dir: string): Promise<{ cert: string, key: string }> {
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  return { cert, key }
}

/** Reads an HTTP/2 response until `until` holds on the text so far; answers the status and text. */
/** A GET over HTTP/2; `cookie` is what a browser would send back (the page's session). */
function h2Get (session: ClientHttp2Session, path: string, until: (text: string) => boolean, cookie?: string): Promise<{ status: number, text: string, cookie: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, accept: 'text/event-stream, text/html', ...(cookie === undefined ? {} : { cookie }) })
    let status = 0
    let setCookie = ''
    let text = ''
    const timer = setTimeout(() => { stream.close(); reject(new Error(`HTTP/2 ${path}: timed out; got ${status} ${text.slice(0, 500)}`)) }, 20_000)
    stream.on('response', (headers) => {
      status = Number(headers[':status'])
      setCookie = (headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ')
    })
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      text += chunk
      if (until(text)) { clearTimeout(timer); stream.close(); resolve({ status, text, cookie: setCookie }) }
    })
    stream.on('end', () => { clearTimeout(timer); resolve({ status, text, cookie: setCookie }) })
    stream.on('error', (error) => { clearTimeout(timer); reject(error) })
  })
}

test('HTTP/2 over TLS with HTTP/1.1 fallback; live streams over HTTP/2', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'flc-tls-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const { cert, key } = await selfSigned(dir)
  const ca = await readFile(cert)
  const server = await startServer(t, {
    DATA_DIR: join(dir, 'data'),
    DEMO_CONTACTS: '5',
    TLS_CERT: cert,
    TLS_KEY: key,
    DEMO_PUBLISHER: 'on',
    DEMO_PUBLISH_INTERVAL_MS: '200'
  })
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/)

  const session = http2Connect(server.url, { ca })
  t.after(() => session.close())
  const page = await h2Get(session, '/', (text) => text.includes('</html>'))
  assert.equal(page.status, 200)
  const connect = /sse-connect="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&')
  assert.ok(connect !== undefined && connect.startsWith('/live/?s='), 'the page has a page stream')
  // The page stream and a component's own stream deliver events over HTTP/2.
  // With the page's cookies, as a browser: the page also carries this session's private feed.
  const live = await h2Get(session, connect, (text) => text.includes('event: notifications_channel'), page.cookie)
  assert.equal(live.status, 200)
  assert.match(live.text, /^retry: \d+\n\n/)
  const own = await h2Get(session, '/notification/', (text) => text.includes('event: notification\n'))
  assert.equal(own.status, 200)

  // A client without HTTP/2 gets HTTP/1.1 on the same port.
  const http1 = await new Promise<{ status: number, version: string }>((resolve, reject) => {
    const req = httpsRequest(new URL('/health', server.url), { ca, ALPNProtocols: ['http/1.1'] } as RequestOptions, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, version: res.httpVersion })
    })
    req.on('error', reject)
    req.end()
  })
  assert.deepEqual(http1, { status: 200, version: '1.1' })
})

test('TLS_CERT without TLS_KEY, or an unreadable path, stops start-up naming the setting', async () => {
  const half = await runServerToExit({ TLS_CERT: '/nonexistent/cert.pem' })
  assert.equal(half.code, 2)
  assert.match(half.output, /set both TLS_CERT and TLS_KEY \(only TLS_CERT is set\)/)
  const missing = await runServerToExit({ TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem' })
  assert.equal(missing.code, 2)
  assert.match(missing.output, /TLS_CERT="\/nonexistent\/cert\.pem" cannot be read \(ENOENT\)/)
})
