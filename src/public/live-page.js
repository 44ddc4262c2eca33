// Page stream runtime (plain script, no build step; no inline code, so a strict CSP holds).
// The element marked data-live-page holds the page's one SSE connection (sse-connect); every
// live component inside it swaps the events named after its channel.
// 1. Keeps the stream's cursor (the id of the last event: every channel's position) in the
//    sse-connect URL: htmx-ext-sse 2 rebuilds a failed EventSource from that attribute without
//    a Last-Event-ID header, and the URL then resumes every channel exactly.
// 2. Renews the stream token before it expires (GET data-live-renew?s=<token>), and at once when
//    the stream fails after it expired, so a page left open keeps streaming.
(function () {
  'use strict'

  function setParam (el, name, value) {
    const url = new URL(el.getAttribute('sse-connect'), window.location.href)
    url.searchParams.set(name, value)
    el.setAttribute('sse-connect', url.pathname + url.search)
  }

  function tokenOf (el) {
    return new URL(el.getAttribute('sse-connect'), window.location.href).searchParams.get('s') || ''
  }

  // Each page stream element gets its listeners once per EventSource.
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

  document.addEventListener('htmx:sseError', function (event) {
    const el = event.target
    if (!el.hasAttribute || !el.hasAttribute('data-live-page')) return
    if (Number(el.getAttribute('data-live-expires')) <= Date.now()) renew(el)
  })

  function init () {
    document.querySelectorAll('[data-live-page]').forEach(schedule)
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init)
  else init()
})()
