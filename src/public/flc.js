// Fastify Live Components page runtime (plain script, no build step).
// 1. Tells the server which components' CSS/JS this page already has (FLC-Components header on
//    every htmx request), so fragments never bring duplicates.
// 2. Loads the assets a fragment needs but the page lacks (the server sends them in an
//    HX-Trigger "flc:assets" event), each once.
(function () {
  'use strict'

  function loadedComponents () {
    const names = {}
    document.querySelectorAll('[data-component-asset]').forEach(function (el) {
      names[el.getAttribute('data-component-asset')] = true
    })
    return Object.keys(names).join(',')
  }

  function hasAsset (selector, attr, url) {
    return Array.prototype.some.call(document.querySelectorAll(selector), function (el) {
      return el.getAttribute(attr) === url
    })
  }

  document.addEventListener('htmx:configRequest', function (event) {
    event.detail.headers['FLC-Components'] = loadedComponents()
  })
  // htmx 4's name and shape of the same event.
  document.addEventListener('htmx:config:request', function (event) {
    const ctx = event.detail && event.detail.ctx
    if (ctx && ctx.request && ctx.request.headers) ctx.request.headers['FLC-Components'] = loadedComponents()
  })

  // detail: { components: [{ name, css: [url], js: [url] }] }
  document.addEventListener('flc:assets', function (event) {
    const components = (event.detail && event.detail.components) || []
    components.forEach(function (component) {
      ;(component.css || []).forEach(function (url) {
        if (hasAsset('link[rel=stylesheet]', 'href', url)) return
        const link = document.createElement('link')
        link.rel = 'stylesheet'
        link.href = url
        link.setAttribute('data-component-asset', component.name)
        document.head.appendChild(link)
      })
      ;(component.js || []).forEach(function (url) {
        if (hasAsset('script[src]', 'src', url)) return
        const script = document.createElement('script')
        script.src = url
        script.async = false // keep the declared order
        script.setAttribute('data-component-asset', component.name)
        document.head.appendChild(script)
      })
    })
  })
})()
