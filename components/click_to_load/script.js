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
