// Live feeds ([data-live-feed]: a channel component prepending items, e.g. notification): each
// kept short and exactly-once. The feed names its items' class (data-live-item, default
// "live-item"; a reset note gets "<class>-gap") and the note's text (data-live-gap). How items
// look is the component's own script (e.g. notification's colours).
// - Shows each message once: ids only grow, so a message at or below the last shown id is a
//   replay overlap and is skipped. On a page stream the event id is the page's cursor (every
//   channel's position, "_"-separated); the feed's own position is the part at data-live-index.
// - Standalone feed: remembers the last id in the sse-connect URL, since htmx-ext-sse rebuilds
//   a closed EventSource from that attribute without a Last-Event-ID header (the page stream
//   runtime, /static/live-page.js, does this for page streams).
// - Keeps only the newest data-max items.
// - Announces politely, never twice: a feed is a polite log (role="log" aria-live="polite" in
//   its template); an item already shown is skipped above, so a replay never re-inserts (and so
//   never re-announces) it. What a reconnect replays (items missed while the stream was down)
//   is caught up silently: from the stream's error until its replay has settled, the feed is
//   aria-busy="true" and aria-live="off" (items inserted while live regions are off are not
//   spoken; turning it back on speaks nothing old). Its items are shown, not read out in a burst.
(function () {
  'use strict'

  function parseId (id) {
    const m = /^(\d+)-(\d+)$/.exec(id || '')
    return m ? [Number(m[1]), Number(m[2])] : null
  }

  function isNewer (id, than) {
    const a = parseId(id)
    const b = parseId(than)
    if (!a) return false
    if (!b) return true
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])
  }

  function ownId (feed, eventId) {
    const index = feed.getAttribute('data-live-index')
    if (index === null) return eventId
    return (eventId || '').split('_')[Number(index)] || ''
  }

  function remember (feed, id) {
    feed.setAttribute('data-last-id', id)
    if (!feed.hasAttribute('sse-connect')) return
    const url = new URL(feed.getAttribute('sse-connect'), window.location.href)
    url.searchParams.set('lastEventId', id)
    feed.setAttribute('sse-connect', url.pathname + url.search)
  }

  function feedOf (event) {
    return event.target.closest && event.target.closest('[data-live-feed]')
  }

  document.addEventListener('htmx:sseBeforeMessage', function (event) {
    const feed = feedOf(event)
    if (!feed) return
    const id = ownId(feed, event.detail && event.detail.lastEventId)
    if (!id) return
    if (!isNewer(id, feed.getAttribute('data-last-id'))) {
      event.preventDefault()
      return
    }
    remember(feed, id)
  })

  function itemClass (feed) {
    return feed.getAttribute('data-live-item') || 'live-item'
  }

  // Catching up on a feed's own stream: from its error until no message came for QUIET_MS
  // after it reopened (a replay arrives in one burst right after the open).
  const QUIET_MS = 1000

  function feedsOf (target) {
    if (target && target.matches && target.matches('[data-live-feed]')) return [target]
    const scope = target && target.querySelectorAll ? target : document
    return Array.prototype.slice.call(scope.querySelectorAll('[data-live-feed]'))
  }

  function quiet (feed) {
    if (feed.getAttribute('aria-busy') !== 'true') return
    feed.removeAttribute('aria-busy')
    feed.setAttribute('aria-live', feed.getAttribute('data-live-politeness') || 'polite')
  }

  function settle (feed) {
    window.clearTimeout(feed.__flcSettle)
    feed.__flcSettle = window.setTimeout(function () { quiet(feed) }, QUIET_MS)
  }

  function catchUp (feeds) {
    feeds.forEach(function (feed) {
      window.clearTimeout(feed.__flcSettle)
      if (feed.getAttribute('aria-busy') === 'true') return
      feed.setAttribute('data-live-politeness', feed.getAttribute('aria-live') || 'polite')
      feed.setAttribute('aria-busy', 'true')
      feed.setAttribute('aria-live', 'off')
    })
  }

  function reopened (feeds) {
    feeds.forEach(function (feed) { if (feed.getAttribute('aria-busy') === 'true') settle(feed) })
  }

  // The page stream (live-page.js, htmx 2 and 4, shared or not) reports on the document; a
  // feed's own stream reports on its element (htmx-ext-sse 2; htmx 4's hx-sse).
  // On the page stream, live-state.js already decides when a reconnect has caught up (its
  // replay landed): one rule for the notice and for the feeds.
  document.addEventListener('flc:live-state', function (event) {
    const feeds = feedsOf(document.querySelector('[data-live-page]'))
    if (event.detail.state === 'reconnecting') catchUp(feeds)
    else if (event.detail.state === 'live') feeds.forEach(quiet)
  })
  ;['htmx:sseError', 'htmx:sse:error'].forEach(function (name) {
    document.addEventListener(name, function (event) {
      const feed = feedOf(event)
      if (feed && !feed.hasAttribute('data-live-channel')) catchUp([feed])
    })
  })
  document.addEventListener('htmx:sseOpen', function (event) {
    const feed = feedOf(event)
    if (feed && !feed.hasAttribute('data-live-channel')) reopened([feed])
  })

  document.addEventListener('htmx:sseMessage', function (event) {
    const feed = feedOf(event)
    if (!feed) return
    // A message after an error means the stream is back: the catch-up ends once it is quiet.
    if (feed.getAttribute('aria-busy') === 'true' && !feed.hasAttribute('data-live-channel')) settle(feed)
    const max = Number(feed.getAttribute('data-max')) || 5
    const items = feed.querySelectorAll(':scope > .' + itemClass(feed) + ', :scope > .' + itemClass(feed) + '-gap')
    for (let i = max; i < items.length; i++) items[i].remove()
  })

  // The server could not replay everything since our last id (history is bounded): say so,
  // and continue from the id the server gave. On a page stream, resets name their channel.
  document.addEventListener('sse:reset', function (event) {
    const feed = feedOf(event)
    if (!feed) return
    const channel = feed.getAttribute('data-live-channel')
    if (channel) {
      let data = {}
      try { data = JSON.parse((event.detail && event.detail.data) || '{}') } catch (e) {}
      if (data.channel !== channel) return
    }
    const id = ownId(feed, event.detail && event.detail.lastEventId)
    if (id) remember(feed, id)
    const note = document.createElement('p')
    note.className = itemClass(feed) + '-gap'
    note.textContent = feed.getAttribute('data-live-gap') || 'Some updates were missed while this page was away.'
    feed.insertBefore(note, feed.firstChild)
  })
})()
