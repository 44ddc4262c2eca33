// notification: each item's colour comes as data-color (checked by the message schema's
// css-color format). It is an accent (left border and dot), never the text's colour, so no
// colour a publisher picks can make the text unreadable. The seed's six colours have
// accessible shades in style.css; any other colour is set here as --notification-color
// through the CSSOM (the page's Content-Security-Policy allows no inline style attributes),
// darkened towards black until it has 4.5:1 on the white card, like the seed's shades.
// Keeping the feed short, exactly-once and announced politely is the framework's
// (/static/live-feed.js).
(function () {
  'use strict'
  const KNOWN = /^(blue|green|red|black|gray|grey|purple)$/i
  const MIN_CONTRAST = 4.5

  function luminance (rgb) {
    const c = rgb.map(function (v) {
      v /= 255
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)
    })
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
  }

  /** The colour as [r, g, b] as the browser resolves it (a name, #rgb, #rrggbbaa…). */
  function resolve (item, color) {
    item.style.setProperty('--notification-color', color)
    const parts = (window.getComputedStyle(item).borderLeftColor.match(/[\d.]+/g) || []).map(Number)
    return parts.length >= 3 ? parts.slice(0, 3) : null
  }

  function applyAccent (item) {
    const color = item.getAttribute('data-color') || ''
    if (item.__flcAccent === color || KNOWN.test(color)) return
    item.__flcAccent = color
    let rgb = resolve(item, color)
    if (rgb === null) return
    // Against white (#fff, luminance 1): (1 + .05) / (L + .05).
    for (let step = 0; step < 20 && 1.05 / (luminance(rgb) + 0.05) < MIN_CONTRAST; step++) {
      rgb = rgb.map(function (v) { return Math.floor(v * 0.85) })
    }
    item.style.setProperty('--notification-color', 'rgb(' + rgb.join(', ') + ')')
  }

  document.addEventListener('htmx:sseMessage', function (event) {
    const feed = event.target.closest && event.target.closest('[data-live-feed="notification"]')
    if (!feed) return
    feed.querySelectorAll('.notification[data-color]').forEach(applyAccent)
  })
})()
