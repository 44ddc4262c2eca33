// Connection state of the page stream (plain script, no build step), as LiveView's
// phx-disconnected and Turbo's `connected` tell it:
// - every page stream element ([data-live-page]) and <html> carry data-live-state:
//   "connecting" (not yet open), "live" (open and caught up), "reconnecting" (the stream is down
//   and being re-established), for CSS and tests;
// - while the stream has been down for NOTICE_DELAY_MS, a visible notice says so, in a polite
//   live region (role=status) that screen readers read once; it empties once the stream is back
//   and its replay has landed.
// It follows live-page.js's flc:live-open / flc:live-error events, which every page stream
// fires the same way: shared through the SharedWorker or on a connection of its own, on
// htmx 2 and htmx 4.
(function () {
  'use strict'

  /** Down this long before the notice shows (a quick reconnect, e.g. a deploy's, says nothing). */
  const NOTICE_DELAY_MS = 1500
  /** After the stream opens, it counts as caught up once no replayed update came for this long… */
  const SETTLE_MS = 250
  /** …or this long after it opened, whichever is first. */
  const SETTLE_MAX_MS = 3000
  const NOTICE_TEXT = 'Connection lost — reconnecting…'
  const NOTICE_TEXT_FIRST = 'Live updates are not connected yet — retrying…'

  let state = null
  let opened = false
  let noticeTimer = null
  let settleTimer = null
  let settleDeadline = 0
  let notice = null

  function setState (next) {
    if (state === next) return
    state = next
    document.documentElement.setAttribute('data-live-state', next)
    document.querySelectorAll('[data-live-page]').forEach(function (el) { el.setAttribute('data-live-state', next) })
    document.dispatchEvent(new CustomEvent('flc:live-state', { detail: { state: next } }))
  }

  // The region exists (empty) from the start: screen readers announce text put into a live
  // region they already know, not a region inserted with its text.
  function region () {
    if (notice === null) {
      notice = document.createElement('div')
      notice.className = 'live-notice'
      notice.setAttribute('role', 'status')
      notice.setAttribute('aria-live', 'polite')
      notice.setAttribute('data-live-notice', '')
      document.body.insertBefore(notice, document.body.firstChild)
    }
    return notice
  }

  function showNotice () {
    noticeTimer = null
    if (state !== 'live') region().textContent = opened ? NOTICE_TEXT : NOTICE_TEXT_FIRST
  }

  function clearNotice () {
    clearTimeout(noticeTimer)
    noticeTimer = null
    if (notice !== null && notice.textContent !== '') notice.textContent = ''
  }

  function live () {
    settleTimer = null
    setState('live')
    clearNotice()
  }

  function onOpen () {
    opened = true
    settleDeadline = Date.now() + SETTLE_MAX_MS
    clearTimeout(settleTimer)
    settleTimer = setTimeout(live, SETTLE_MS)
  }

  // A replayed update after the open: not caught up yet, unless it has taken too long already.
  function onUpdate () {
    if (settleTimer === null) return
    clearTimeout(settleTimer)
    settleTimer = setTimeout(live, Math.max(0, Math.min(SETTLE_MS, settleDeadline - Date.now())))
  }

  function onError () {
    clearTimeout(settleTimer)
    settleTimer = null
    setState(opened ? 'reconnecting' : 'connecting')
    if (noticeTimer === null && (notice === null || notice.textContent === '')) noticeTimer = setTimeout(showNotice, NOTICE_DELAY_MS)
  }

  function init () {
    if (document.querySelector('[data-live-page]') === null) return // no page stream here
    region()
    if (state === null) setState('connecting')
  }

  document.addEventListener('flc:live-open', onOpen)
  document.addEventListener('flc:live-error', onError)
  // Updates swapped in by either htmx (live-page.js fires the htmx 2 names on htmx 4 too).
  document.addEventListener('htmx:sseMessage', onUpdate)
  document.addEventListener('sse:reset', onUpdate)
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init)
  else init()
})()
