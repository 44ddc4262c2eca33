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
