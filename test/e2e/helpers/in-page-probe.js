// Runs inside the page before any of its scripts (context.addInitScript). It records what a
// person would see happen, so the test can tell "arrived exactly once" even though the feed
// keeps only its newest few notifications:
// - every .notification element ever inserted into a .notification-feed, with its title, text
//   and arrival time (the feed trims old ones, this list keeps them);
// - how often the live stream opened (the first connection plus every reconnect) and failed.
// window.__flcProbe also reads the table and the feed as shown.
/* global window, document, MutationObserver, Node */
(function () {
  'use strict'
  const arrived = []
  const stream = { opens: 0, errors: 0 }

  function isAnnounced (feed) {
    const live = feed.getAttribute('aria-live')
    return (live === 'polite' || live === 'assertive') && feed.getAttribute('aria-busy') !== 'true'
  }

  function record (element) {
    if (!element.closest('.notification-feed')) return
    const title = element.querySelector('span')
    const region = element.closest('section')
    arrived.push({
      feed: region && region.id ? '#' + region.id + ' .notification-feed' : '',
      title: title ? title.textContent : '',
      text: element.textContent.replace(/\s+/g, ' ').trim(),
      color: element.getAttribute('data-color'),
      role: element.getAttribute('role'),
      // Would a screen reader speak it: inserted into a live feed that was not silenced (a
      // reconnect's catch-up sets aria-busy and aria-live="off", see /static/live-feed.js).
      announced: isAnnounced(element.closest('.notification-feed')),
      at: Date.now()
    })
  }

  new MutationObserver(function (mutations) {
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue
        if (node.matches('.notification')) record(node)
        node.querySelectorAll('.notification').forEach(record)
      }
    }
  }).observe(document, { childList: true, subtree: true })

  // Reported to the test (PageWatch): the page must never violate its Content-Security-Policy.
  document.addEventListener('securitypolicyviolation', function (event) {
    const report = window.__flcCspViolation
    const detail = event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' + event.lineNumber
    if (typeof report === 'function') report(detail)
  })

  // The page stream runtime (live-page.js) reports its connection's opens and errors, the
  // same on htmx 2 and htmx 4, shared by tabs or not.
  document.addEventListener('flc:live-open', function () { stream.opens++ })
  document.addEventListener('flc:live-error', function () { stream.errors++ })

  // A cell as a person reads it: an editable status reads as its chosen value; the actions
  // cell (buttons) is not data.
  function cells (row) {
    return Array.prototype.map.call(row.querySelectorAll('td:not(.contact-actions)'), function (td) {
      const select = td.querySelector('select')
      return select ? select.value : td.textContent.replace(/\s+/g, ' ').trim()
    })
  }

  window.__flcProbe = {
    arrived: function () { return arrived.slice() },
    stream: function () { return { opens: stream.opens, errors: stream.errors } },
    /** Contact rows as shown (the "Load more..." row excluded), each as its cell texts. */
    rows: function () {
      return Array.prototype.map.call(document.querySelectorAll('#contacts-body > tr:not(#replaceMe)'), cells)
    },
    /** True while an htmx request is in flight (htmx marks its element .htmx-request). */
    busy: function () { return document.querySelector('.htmx-request') !== null },
    loadMore: function () {
      const row = document.getElementById('replaceMe')
      const button = row && row.querySelector('button')
      return button ? { text: button.textContent.trim(), rowsAfter: row.nextElementSibling !== null } : null
    },
    /** The feed as shown, newest first. */
    feed: function () {
      const feed = document.querySelector('.notification-feed')
      if (!feed) return null
      return {
        max: Number(feed.getAttribute('data-max')),
        titles: Array.prototype.map.call(feed.querySelectorAll('.notification'), function (el) {
          const title = el.querySelector('span')
          return title ? title.textContent : ''
        }),
        images: feed.querySelectorAll('img').length
      }
    }
  }
})()
