// contact_form: htmx does not swap 4xx answers by default. An element with
// data-flc-swap-errors="409 422" gets those answers swapped in (the form comes back with its
// inline errors and what the person typed) and not reported as errors.
(function () {
  'use strict'
  document.addEventListener('htmx:beforeSwap', function (event) {
    const source = event.detail.requestConfig && event.detail.requestConfig.elt
    const holder = source && source.closest ? source.closest('[data-flc-swap-errors]') : null
    if (!holder) return
    const codes = (holder.getAttribute('data-flc-swap-errors') || '').split(/\s+/)
    if (codes.indexOf(String(event.detail.xhr.status)) === -1) return
    event.detail.shouldSwap = true
    event.detail.isError = false
  })
})()

// The answer replaces the whole form, and the focused field with it: keyboard and screen-reader
// users would be left on <body>. After a submit from this page, focus goes to the first field
// in error (its message is its description), or, after a success, back to the first field to
// add the next contact (the "Added …" line is a status, read out politely).
;(function () {
  'use strict'
  let submitted = null // the form element that was submitted, until its answer replaced it
  document.addEventListener('submit', function (event) {
    const form = event.target.closest && event.target.closest('form.contact-form')
    if (form) submitted = form
  }, true)
  function refocus () {
    const form = document.querySelector('form.contact-form')
    if (submitted === null || form === null || form === submitted) return // no answer swapped in yet
    submitted = null
    const active = document.activeElement
    if (active !== null && active !== document.body) return // focus is somewhere: leave it there
    const field = form.querySelector('[aria-invalid="true"]') || form.querySelector('input:not([type="hidden"])')
    if (field) field.focus()
  }
  document.addEventListener('htmx:afterSettle', refocus) // htmx 2
  document.addEventListener('htmx:after:settle', refocus) // htmx 4
})()
