// click_to_load: a contact added through the form shows at the top of the table (#contacts-added)
// at once; when "Load more..." later brings the same contact in its place, the top copy goes.
(function () {
  'use strict'
  function dropDuplicates () {
    document.querySelectorAll('#contacts-added > tr[data-contact-id]').forEach(function (row) {
      const id = row.getAttribute('data-contact-id')
      if (/^\d+$/.test(id) && document.querySelector('#contacts-body > tr[data-contact-id="' + id + '"]')) row.remove()
    })
  }
  document.addEventListener('htmx:afterSettle', dropDuplicates) // htmx 2
  document.addEventListener('htmx:after:settle', dropDuplicates) // htmx 4
})()

// "Load more..." replaces its own row, and the focused button with it (Delete too): a keyboard
// or screen-reader user would be left on <body>. Focus goes to the first row it loaded (focusable
// by script only, tabindex -1), where reading continues; Tab goes on to that row's controls.
;(function () {
  'use strict'
  let lastRow = null // the row above the "Load more..." row that was pressed
  document.addEventListener('click', function (event) {
    const row = event.target.closest && event.target.closest('#replaceMe')
    if (row) lastRow = row.previousElementSibling
    const gone = event.target.closest && event.target.closest('.contact-delete') && event.target.closest('tr')
    if (gone) watchDelete(gone)
  }, true)

  // Delete removes the row with its focused button: focus goes to the next row's Delete (or
  // the previous one's when it was the last), so deleting several stays on the keyboard. The
  // row is watched, not htmx's events: those fire on the removed row, which no longer bubbles.
  function watchDelete (row) {
    const parent = row.parentNode
    if (parent === null || row.__flcWatched) return
    row.__flcWatched = true
    const observer = new window.MutationObserver(function () {
      if (row.isConnected) return
      observer.disconnect()
      const active = document.activeElement
      if (active !== null && active !== document.body) return
      const target = next && next.isConnected ? next.querySelector('.contact-delete') : null
      if (target) target.focus()
    })
    const table = row.closest('table')
    const rows = table ? Array.prototype.filter.call(table.querySelectorAll('tr'), function (tr) { return tr.querySelector('.contact-delete') !== null }) : []
    const at = rows.indexOf(row)
    const next = rows[at + 1] || rows[at - 1] || null
    observer.observe(parent, { childList: true })
  }

  function focusLoaded () {
    if (lastRow === null || !lastRow.isConnected) return
    const next = lastRow.nextElementSibling
    if (next !== null && next.id === 'replaceMe') return // not swapped in yet
    lastRow = null
    const active = document.activeElement
    if (active !== null && active !== document.body) return // focus is somewhere: leave it there
    if (next === null || !next.hasAttribute('data-contact-id')) return
    next.setAttribute('tabindex', '-1')
    next.focus()
  }
  document.addEventListener('htmx:afterSettle', focusLoaded) // htmx 2
  document.addEventListener('htmx:after:settle', focusLoaded) // htmx 4
})()
