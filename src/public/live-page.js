// Page stream runtime (plain script, no build step; no inline code, so a strict CSP holds).
// The element marked data-live-page holds the page's one SSE connection (sse-connect); every
// live component inside it swaps the events named after its channel.
// 1. One connection per browser, not per tab: htmx's EventSource for a page stream is replaced
//    by a LiveSource fed by a SharedWorker (/static/live-worker.js) that all tabs share. Where
//    SharedWorker is missing (e.g. Chrome on Android), LiveSource holds a connection of its own
//    and closes it while the tab is hidden, resuming with replay when it is shown again, so
//    only visible tabs hold connections.
// 2. Keeps the stream's cursor (every channel's position) in the sse-connect URL: htmx-ext-sse
//    2 rebuilds a failed EventSource from that attribute without a Last-Event-ID header.
// 3. Renews the stream token before it expires (GET data-live-renew?s=<token>), and at once when
//    the stream fails after it expired, so a page left open keeps streaming.
(function () {
  'use strict'

  const STREAM_PATH = '/live/'
  /** A hidden tab without SharedWorker keeps its connection this long (quick tab switches). */
  const HIDDEN_GRACE_MS = 10000

  const htmx = window.htmx
  const isHtmx4 = !!htmx && String(htmx.version || '').charAt(0) === '4'

  // htmx 2: sse-connect (htmx-ext-sse); htmx 4: hx-sse:connect (its hx-sse extension).
  function connectAttribute (el) {
    return el.hasAttribute('sse-connect') ? 'sse-connect' : 'hx-sse:connect'
  }

  function setParam (el, name, value) {
    const attribute = connectAttribute(el)
    const url = new URL(el.getAttribute(attribute), window.location.href)
    url.searchParams.set(name, value)
    el.setAttribute(attribute, url.pathname + url.search)
  }

  function tokenOf (el) {
    return new URL(el.getAttribute(connectAttribute(el)), window.location.href).searchParams.get('s') || ''
  }

  let worker = null
  function sharedWorker () {
    if (worker === null && typeof window.SharedWorker === 'function') {
      try {
        worker = new window.SharedWorker('/static/live-worker.js', { name: 'flc-live' })
        worker.port.start()
      } catch (e) {
        worker = false // blocked (e.g. by policy): every tab streams on its own
      }
    }
    return worker || null
  }

  // An EventSource look-alike (what htmx-ext-sse uses of it) over the shared worker, or over
  // an EventSource of its own that rests while the tab is hidden.
  let nextId = 0
  const sources = new Set()
  function LiveSource (url) {
    const target = document.createDocumentFragment() // an EventTarget every browser has
    this.url = url
    this.readyState = 0
    this.withCredentials = true
    this.onopen = null
    this.onerror = null
    this.onmessage = null
    this._target = target
    this._listened = {}
    this._direct = null
    this._id = ++nextId
    this._port = null
    this._cursor = new URL(url, window.location.href).searchParams.get('lastEventId')
    sources.add(this)
    this._attach()
  }
  LiveSource.prototype._attach = function () {
    const shared = sharedWorker()
    if (!shared) {
      this._goDirect()
      return
    }
    const self = this
    const url = new URL(this.url, window.location.href)
    if (this._cursor) url.searchParams.set('lastEventId', this._cursor)
    this._port = shared.port
    this._onPort = function (message) { if (message.data && message.data.id === self._id) self._fromWorker(message.data) }
    shared.port.addEventListener('message', this._onPort)
    shared.port.postMessage({ type: 'open', id: this._id, url: url.href })
  }
  LiveSource.CONNECTING = 0
  LiveSource.OPEN = 1
  LiveSource.CLOSED = 2
  LiveSource.prototype.addEventListener = function (name, listener) {
    this._target.addEventListener(name, listener)
    if (this._direct && !this._listened[name]) this._listen(this._direct, name)
    this._listened[name] = true
  }
  LiveSource.prototype.removeEventListener = function (name, listener) {
    this._target.removeEventListener(name, listener)
  }
  LiveSource.prototype._emit = function (name, init) {
    const event = init ? new MessageEvent(name, init) : new Event(name)
    if (name === 'open' && this.onopen) this.onopen(event)
    if (name === 'error' && this.onerror) this.onerror(event)
    // The same moments for anyone watching the page, whichever htmx runs.
    if (name === 'open' || name === 'error') document.dispatchEvent(new CustomEvent('flc:live-' + name, { detail: { url: this.url } }))
    this._target.dispatchEvent(event)
  }
  LiveSource.prototype._fromWorker = function (m) {
    if (this.readyState === 2) return
    if (m.type === 'open') {
      this.readyState = 1
      this._emit('open')
    } else if (m.type === 'error') {
      // The worker reconnects by itself: htmx must not build a new source.
      this.readyState = 0
      this._emit('error')
    } else if (m.type === 'event') {
      this._cursor = m.lastEventId
      this._emit(m.event, { data: m.data, lastEventId: m.lastEventId })
    } else if (m.type === 'fallback') {
      this._detach()
      this._goDirect()
    }
  }
  LiveSource.prototype._detach = function () {
    if (!this._port) return
    this._port.removeEventListener('message', this._onPort)
    this._port.postMessage({ type: 'close', id: this._id })
    this._port = null
  }
  LiveSource.prototype._listen = function (source, name) {
    const self = this
    source.addEventListener(name, function (message) {
      if (source !== self._direct) return
      if (message.lastEventId) self._cursor = message.lastEventId
      self._emit(name, { data: message.data, lastEventId: message.lastEventId })
    })
  }
  LiveSource.prototype._goDirect = function () {
    const self = this
    const url = new URL(this.url, window.location.href)
    if (this._cursor) url.searchParams.set('lastEventId', this._cursor)
    const source = new window.EventSource(url.pathname + url.search, { withCredentials: true })
    this._direct = source
    Object.keys(this._listened).forEach(function (name) { self._listen(source, name) })
    source.onopen = function () {
      if (source !== self._direct) return
      self.readyState = 1
      self._emit('open')
    }
    source.onerror = function () {
      if (source !== self._direct) return
      self.readyState = source.readyState
      self._emit('error')
    }
    if (!this._onVisibility) {
      this._onVisibility = function () { self._visibility() }
      document.addEventListener('visibilitychange', this._onVisibility)
    }
  }
  LiveSource.prototype._visibility = function () {
    const self = this
    clearTimeout(this._resting)
    if (document.visibilityState === 'hidden') {
      this._resting = setTimeout(function () {
        if (self._direct) { self._direct.close(); self._direct = null }
      }, HIDDEN_GRACE_MS)
    } else if (!this._direct && this.readyState !== 2) {
      this._goDirect() // resumes from the cursor: the server replays what was missed
    }
  }
  LiveSource.prototype.close = function () {
    this.readyState = 2
    sources.delete(this)
    this._detach()
    if (this._direct) this._direct.close()
    this._direct = null
    if (this._onVisibility) document.removeEventListener('visibilitychange', this._onVisibility)
  }

  if (htmx && !isHtmx4) {
    const original = htmx.createEventSource
    htmx.createEventSource = function (url) {
      const path = new URL(url, window.location.href).pathname
      if (path === STREAM_PATH) return new LiveSource(url)
      return original ? original(url) : new window.EventSource(url, { withCredentials: true })
    }
  }

  // Each page stream element gets its listeners once per source.
  document.addEventListener('htmx:sseOpen', function (event) {
    const el = event.target
    if (!el.hasAttribute || !el.hasAttribute('data-live-page')) return
    const source = event.detail && event.detail.source
    if (!source || source.__flcCursor) return
    source.__flcCursor = true
    const names = (el.getAttribute('data-live-events') || '').split(',')
    const remember = function (message) {
      if (message.lastEventId) setParam(el, 'lastEventId', message.lastEventId)
    }
    names.forEach(function (name) { if (name) source.addEventListener(name, remember) })
  })

  // A tab going away leaves the shared stream (the worker cannot see a port close); a tab
  // restored from the back/forward cache joins again from where it stopped.
  window.addEventListener('pagehide', function () {
    sources.forEach(function (source) { source._detach() })
  })
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return
    sources.forEach(function (source) { if (source.readyState !== 2 && !source._direct) source._attach() })
  })

  let renewing = null

  function renew (el) {
    if (renewing) return renewing
    const url = el.getAttribute('data-live-renew') + '?s=' + encodeURIComponent(tokenOf(el))
    renewing = fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('token renewal answered ' + response.status)
        return response.json()
      })
      .then(function (body) {
        setParam(el, 's', body.token)
        el.setAttribute('data-live-expires', String(body.expiresAt))
        const shared = sharedWorker()
        if (shared) shared.port.postMessage({ type: 'token', token: body.token })
        schedule(el)
      })
      .catch(function () {
        // Try again later; the open stream keeps working meanwhile.
        window.setTimeout(function () { renew(el) }, 30000)
      })
      .finally(function () { renewing = null })
    return renewing
  }

  function schedule (el) {
    const expires = Number(el.getAttribute('data-live-expires'))
    if (!expires) return
    // Renew when 80% of the lifetime left has passed (and never wait longer than a day).
    const wait = Math.min(Math.max((expires - Date.now()) * 0.8, 1000), 86400000)
    window.clearTimeout(el.__flcRenewTimer)
    el.__flcRenewTimer = window.setTimeout(function () { renew(el) }, wait)
  }

  // htmx 4: its hx-sse extension reads the page stream through fetch. The stream's fetch is
  // answered from a LiveSource (shared by all tabs), re-framed as SSE with this tab's cursor.
  // htmx 4 turns named events into DOM events on the stream element; they are swapped into
  // the components of that channel here (htmx 4 has no sse-swap), with the same events around
  // each swap as htmx-ext-sse 2 fires, so component scripts work on both.
  function streamResponse (el, url) {
    const names = (el.getAttribute('data-live-events') || '').split(',').filter(Boolean)
    const encoder = new TextEncoder()
    let source = null
    const body = new ReadableStream({
      start: function (controller) {
        source = new LiveSource(url)
        names.forEach(function (name) {
          source.addEventListener(name, function (message) {
            let frame = 'event: ' + name + '\n'
            String(message.data).split('\n').forEach(function (line) { frame += 'data: ' + line + '\n' })
            controller.enqueue(encoder.encode(frame + 'id: ' + message.lastEventId + '\n\n'))
          })
        })
      },
      cancel: function () { if (source) source.close() }
    })
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
  }

  function swapInto (component, html) {
    const style = (component.getAttribute('hx-swap') || 'innerHTML').split(' ')[0]
    if (/^(afterbegin|beforeend|beforebegin|afterend)$/.test(style)) component.insertAdjacentHTML(style, html)
    else if (style === 'innerMorph' && window.flcMorph) window.flcMorph.inner(component, html) // live-morph.js
    else if (style === 'outerMorph' && window.flcMorph) window.flcMorph.outer(component, html)
    else if (style === 'outerHTML') component.outerHTML = html
    else component.innerHTML = html
    if (component.isConnected) htmx.process(component)
  }

  function deliverToComponents (el, name, detail) {
    const info = { data: detail.data, lastEventId: detail.id }
    if (name === 'reset') {
      el.querySelectorAll('[data-live-reset]').forEach(function (span) {
        span.dispatchEvent(new CustomEvent('sse:reset', { bubbles: true, detail: info }))
      })
      return
    }
    el.querySelectorAll('[data-live-channel]').forEach(function (component) {
      if (component.getAttribute('data-live-channel') !== name) return
      const before = new CustomEvent('htmx:sseBeforeMessage', { bubbles: true, cancelable: true, detail: info })
      if (!component.dispatchEvent(before)) return
      swapInto(component, detail.data)
      component.dispatchEvent(new CustomEvent('htmx:sseMessage', { bubbles: true, detail: info }))
    })
  }

  if (isHtmx4) {
    // Sharing makes pausing hidden tabs needless; without SharedWorker LiveSource rests them.
    htmx.config.sse = Object.assign({}, htmx.config.sse, { pauseOnBackground: false })
    document.addEventListener('htmx:config:request', function (event) {
      const ctx = event.detail && event.detail.ctx
      const el = ctx && ctx.sourceElement
      if (!el || !el.hasAttribute || !el.hasAttribute('data-live-page')) return
      if (new URL(ctx.request.action, window.location.href).pathname !== STREAM_PATH) return
      ctx.fetch = function (url) { return Promise.resolve(streamResponse(el, url)) }
    })
  }

  function listenOnPage (el) {
    if (!isHtmx4 || el.__flcListening) return
    el.__flcListening = true
    ;(el.getAttribute('data-live-events') || '').split(',').forEach(function (name) {
      if (!name) return
      el.addEventListener(name, function (event) {
        if (event.target === el) deliverToComponents(el, name, event.detail || {})
      })
    })
  }

  document.addEventListener(isHtmx4 ? 'htmx:sse:error' : 'htmx:sseError', function (event) {
    const el = event.target
    if (!el.hasAttribute || !el.hasAttribute('data-live-page')) return
    if (Number(el.getAttribute('data-live-expires')) <= Date.now()) renew(el)
  })

  function init () {
    document.querySelectorAll('[data-live-page]').forEach(function (el) {
      listenOnPage(el)
      schedule(el)
    })
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init)
  else init()
})()
