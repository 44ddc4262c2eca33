// Shared page stream (a SharedWorker): every tab of this browser whose page carries the same
// channels shares ONE connection, so any number of tabs fit in HTTP/1.1's 6 connections per
// host. Tabs connect through /static/live-page.js (LiveSource), which falls back to a stream
// of its own where SharedWorker is missing.
//
// Exactly once per tab: the stream's id is the cursor of every channel; each tab keeps its own
// positions and gets a message only when it is newer than the tab's position on that channel.
// A tab that joins later catches up from a buffer of recent messages, from the positions its
// page was rendered with; a tab whose positions are older than the buffer reaches back gets
// "fallback" and replays through a connection of its own.
/* global self, EventSource */
'use strict'

const BUFFER_SIZE = 1000
const streams = new Map()

function parseId (id) {
  const m = /^(\d+)-(\d+)$/.exec(id || '')
  return m ? [BigInt(m[1]), BigInt(m[2])] : null
}

// -1, 0, 1 like the server's compareIds; null (no position) is older than everything.
function compare (a, b) {
  const x = parseId(a)
  const y = parseId(b)
  if (!x) return y ? -1 : 0
  if (!y) return 1
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1
  return x[1] === y[1] ? 0 : (x[1] < y[1] ? -1 : 1)
}

function channelsOf (token) {
  try {
    const body = token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')
    const claims = JSON.parse(atob(body))
    return { channels: claims.c, expiresAt: claims.e }
  } catch (e) {
    return null
  }
}

function streamUrl (stream) {
  let url = stream.path + '?s=' + encodeURIComponent(stream.token)
  if (stream.cursor) url += '&lastEventId=' + encodeURIComponent(stream.cursor.join('_'))
  return url
}

function post (sub, message) {
  message.id = sub.id
  try { sub.port.postMessage(message) } catch (e) {}
}

function deliver (stream, sub, event, data, ids) {
  const index = stream.channels.indexOf(event)
  if (index < 0) return
  const id = ids[index]
  if (sub.positions[index] !== null && compare(id, sub.positions[index]) <= 0) return
  sub.positions[index] = id
  post(sub, { type: 'event', event, data, lastEventId: sub.positions.join('_') })
}

function onChannelEvent (stream, message) {
  const ids = (message.lastEventId || '').split('_')
  if (ids.length !== stream.channels.length) return
  stream.cursor = ids
  stream.buffer.push({ event: message.type, data: message.data, ids })
  if (stream.buffer.length > BUFFER_SIZE) {
    const dropped = stream.buffer.shift()
    const index = stream.channels.indexOf(dropped.event)
    if (index >= 0) stream.coverage[index] = dropped.ids[index]
  }
  stream.subs.forEach(function (sub) { deliver(stream, sub, message.type, message.data, ids) })
}

function onReset (stream, message) {
  const ids = (message.lastEventId || '').split('_')
  if (ids.length !== stream.channels.length) return
  let channel = ''
  try { channel = JSON.parse(message.data).channel } catch (e) {}
  const index = stream.channels.indexOf(channel)
  if (index < 0) return
  stream.cursor = ids
  // What the buffer holds of this channel is from before the reset: a later tab may not use it.
  stream.coverage[index] = ids[index]
  stream.subs.forEach(function (sub) {
    sub.positions[index] = ids[index]
    post(sub, { type: 'event', event: 'reset', data: message.data, lastEventId: sub.positions.join('_') })
  })
}

function connect (stream) {
  const source = new EventSource(streamUrl(stream), { withCredentials: true })
  stream.source = source
  stream.channels.forEach(function (channel) {
    source.addEventListener(channel, function (message) { onChannelEvent(stream, message) })
  })
  source.addEventListener('reset', function (message) { onReset(stream, message) })
  source.onopen = function () {
    stream.retry = 0
    stream.subs.forEach(function (sub) { post(sub, { type: 'open' }) })
  }
  source.onerror = function () {
    stream.subs.forEach(function (sub) { post(sub, { type: 'error' }) })
    if (source.readyState !== EventSource.CLOSED) return // the browser reconnects with Last-Event-ID
    // Refused (an expired token: tabs send renewed ones) or failed: reconnect from our cursor.
    stream.source = null
    const wait = Math.min(30000, 500 * Math.pow(2, stream.retry++))
    stream.timer = setTimeout(function () { if (stream.subs.size > 0) connect(stream) }, wait)
  }
}

function open (port, id, url) {
  const parsed = new URL(url, self.location.href)
  const token = parsed.searchParams.get('s') || ''
  const claims = channelsOf(token)
  if (!claims || !Array.isArray(claims.channels)) {
    port.postMessage({ id, type: 'fallback' })
    return
  }
  const key = parsed.pathname + '|' + claims.channels.join(',')
  const rendered = (parsed.searchParams.get('lastEventId') || '').split('_')
  const hasCursor = rendered.length === claims.channels.length && rendered.every(parseId)
  let stream = streams.get(key)
  if (!stream) {
    stream = {
      path: parsed.pathname,
      channels: claims.channels,
      token,
      expiresAt: claims.expiresAt,
      cursor: hasCursor ? rendered : null,
      coverage: hasCursor ? rendered.slice() : claims.channels.map(function () { return null }),
      buffer: [],
      subs: new Map(),
      source: null,
      retry: 0,
      timer: null
    }
    streams.set(key, stream)
  } else if (claims.expiresAt > stream.expiresAt) {
    stream.token = token
    stream.expiresAt = claims.expiresAt
  }
  const positions = hasCursor ? rendered : (stream.cursor ? stream.cursor.slice() : claims.channels.map(function () { return null }))
  // Positions older than what the buffer covers: this tab replays through its own connection.
  const covered = stream.coverage.every(function (from, i) {
    return from === null || (positions[i] !== null && compare(positions[i], from) >= 0)
  })
  if (!covered) {
    port.postMessage({ id, type: 'fallback' })
    if (stream.subs.size === 0) streams.delete(key)
    return
  }
  const sub = { id, port, positions: positions.slice(), key }
  stream.subs.set(port.__flcKey + ':' + id, sub)
  stream.buffer.forEach(function (entry) { deliver(stream, sub, entry.event, entry.data, entry.ids) })
  if (stream.source === null && stream.timer === null) connect(stream)
  else if (stream.source && stream.source.readyState === EventSource.OPEN) post(sub, { type: 'open' })
}

function close (port, id) {
  streams.forEach(function (stream, key) {
    if (!stream.subs.delete(port.__flcKey + ':' + id) || stream.subs.size > 0) return
    if (stream.source) stream.source.close()
    clearTimeout(stream.timer)
    streams.delete(key)
  })
}

function renewed (token) {
  const claims = channelsOf(token)
  if (!claims) return
  streams.forEach(function (stream) {
    if (stream.channels.join(',') === (claims.channels || []).join(',') && claims.expiresAt > stream.expiresAt) {
      stream.token = token
      stream.expiresAt = claims.expiresAt
    }
  })
}

let ports = 0
self.onconnect = function (event) {
  const port = event.ports[0]
  port.__flcKey = String(++ports)
  port.onmessage = function (message) {
    const m = message.data || {}
    if (m.type === 'open') open(port, m.id, m.url)
    else if (m.type === 'close') close(port, m.id)
    else if (m.type === 'token') renewed(m.token)
  }
  port.start()
}
