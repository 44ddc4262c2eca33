// contact_changes: each <template data-contact-change> that arrives morphs that contact's rows
// in the table into its row (an edit) or removes them (a delete: the template is empty).
// Works on htmx 2 and 4 alike (whichever swapped it in).
(function () {
  'use strict'
  function apply (carrier) {
    carrier.querySelectorAll('template[data-contact-change]').forEach(function (template) {
      const id = template.getAttribute('data-contact-id')
      const row = template.content.querySelector('tr')
      if (/^\d+$/.test(id)) {
        document.querySelectorAll('table.contacts tr[data-contact-id="' + id + '"]').forEach(function (old) {
          if (row === null) { old.remove(); return }
          // Morphed in place (/static/live-morph.js): a focused or open status select of this
          // row keeps its focus while someone else changes the row.
          if (window.flcMorph) {
            window.flcMorph.outer(old, row.cloneNode(true))
            if (window.htmx && old.isConnected) window.htmx.process(old)
            return
          }
          const fresh = row.cloneNode(true)
          old.replaceWith(fresh)
          if (window.htmx) window.htmx.process(fresh)
        })
      }
      template.remove()
    })
  }
  function watch () {
    const carrier = document.querySelector('[data-live-component="contact_changes"]')
    if (carrier === null || carrier.__flcWatched) return
    carrier.__flcWatched = true
    new window.MutationObserver(function () { apply(carrier) }).observe(carrier, { childList: true })
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch)
  else watch()
})()
