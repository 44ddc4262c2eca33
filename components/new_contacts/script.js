// new_contacts: a contact added in this page arrives twice (the form's answer and the live
// update), in either order; the second copy of a row goes. Works on htmx 2 and 4 alike.
(function () {
  'use strict'
  function dedupe (tbody) {
    const seen = new Set()
    tbody.querySelectorAll('tr[data-contact-id]').forEach(function (row) {
      const id = row.getAttribute('data-contact-id')
      if (seen.has(id)) row.remove()
      else seen.add(id)
    })
  }
  function watch () {
    const tbody = document.getElementById('contacts-added')
    if (tbody === null || tbody.__flcWatched) return
    tbody.__flcWatched = true
    new window.MutationObserver(function () { dedupe(tbody) }).observe(tbody, { childList: true })
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch)
  else watch()
})()
