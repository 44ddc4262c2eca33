// notification: each item's colour comes as data-color (checked by the message schema's
// css-color format) and is applied through the CSSOM: the page's Content-Security-Policy allows
// no inline style attributes. Keeping the feed short and exactly-once is the framework's
// (/static/live-feed.js).
(function () {
  'use strict'
  document.addEventListener('htmx:sseMessage', function (event) {
    const feed = event.target.closest && event.target.closest('[data-live-feed="notification"]')
    if (!feed) return
    feed.querySelectorAll('.notification[data-color]').forEach(function (item) {
      item.style.color = item.getAttribute('data-color')
    })
  })
})()
