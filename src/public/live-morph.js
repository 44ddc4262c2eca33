// Morphing swaps (plain script, no build step): a live update that replaces a component or a row
// patches the DOM the page has instead of rebuilding it, so what the user is doing survives:
// focus, caret and selection, scroll position, an open <select> or <details>, typed text.
// - htmx 4: its built-in morph (hx-swap="innerMorph" / "outerMorph"), reached through an
//   extension's internal API for the swaps live-page.js makes itself.
// - htmx 2: idiomorph (/static/vendor/idiomorph.min.js, from node_modules) behind an extension
//   of our own, "flc-morph", giving htmx 2 the same two swap names as htmx 4, so one hx-swap
//   value works on both. (idiomorph's own extension parses "morph:{...}" with Function(),
//   which the page's CSP refuses.)
// window.flcMorph.inner(el, content) / .outer(el, content) morph from HTML or a node, for
// scripts that replace rows themselves (contact_changes); plain replacement where neither exists.
(function () {
  'use strict'

  const htmx = window.htmx
  const isHtmx4 = !!htmx && String(htmx.version || '').charAt(0) === '4'
  let api4 = null

  function fragmentOf (content) {
    if (typeof content !== 'string') {
      const fragment = document.createDocumentFragment()
      fragment.append(content)
      return fragment
    }
    const template = document.createElement('template')
    template.innerHTML = content
    return template.content
  }

  // A value the user changed is kept unless the server changed that value (what the element
  // was rendered with): a re-render of a form field the user is typing in never wipes it, while
  // a change someone else made does land. The focused field keeps its value whatever comes.
  // (idiomorph's ignoreActiveValue is not used: it also lets an unfocused field's typed text go.)
  const serverChanged = new WeakMap()

  function renderedState (el) {
    if (el.localName === 'input') return { value: el.getAttribute('value'), checked: el.hasAttribute('checked') }
    if (el.localName === 'textarea') return { value: el.defaultValue }
    if (el.localName === 'option') return { selected: el.hasAttribute('selected') }
    return null
  }

  // Whether a <details> or <dialog> is open is the user's: the server cannot know it.
  function keepsOpen (el) {
    return el.localName === 'details' || el.localName === 'dialog'
  }

  const callbacks = {
    beforeNodeMorphed: function (oldNode, newNode) {
      if (oldNode.nodeType !== 1 || newNode.nodeType !== 1) return true
      const before = renderedState(oldNode)
      if (before === null) return true
      const after = renderedState(newNode)
      const changed = {}
      Object.keys(before).forEach(function (key) { changed[key] = before[key] !== after[key] })
      serverChanged.set(oldNode, changed)
      return true
    },
    beforeAttributeUpdated: function (name, el) {
      if (name === 'open' && keepsOpen(el)) return false
      const changed = serverChanged.get(el)
      if (!changed || !(name in changed)) return true
      if (name === 'value' && el === document.activeElement) return false
      return changed[name]
    }
  }

  function morph (target, content, inner) {
    if (isHtmx4 && api4) {
      api4.morph(target, fragmentOf(content), inner)
      return
    }
    if (window.Idiomorph) {
      window.Idiomorph.morph(target, typeof content === 'string' ? fragmentOf(content) : content, { morphStyle: inner ? 'innerHTML' : 'outerHTML', callbacks })
      return
    }
    if (inner) target.replaceChildren(fragmentOf(content))
    else target.replaceWith(fragmentOf(content))
  }

  window.flcMorph = {
    inner: function (target, content) { morph(target, content, true) },
    outer: function (target, content) { morph(target, content, false) }
  }

  if (isHtmx4) {
    htmx.registerExtension('flc-morph', {
      init: function (api) { api4 = api },
      // htmx 4 keeps typed values itself (it sets a value only when its attribute changed and
      // the field is not focused); the open state of <details> is kept here.
      htmx_before_morph_attr: function (el, detail) {
        if (detail.attrName === 'open' && keepsOpen(el)) return false
      }
    })
  } else if (htmx && window.Idiomorph) {
    htmx.defineExtension('flc-morph', {
      isInlineSwap: function (style) { return style === 'outerMorph' },
      handleSwap: function (style, target, fragment) {
        if (style !== 'innerMorph' && style !== 'outerMorph') return false
        return window.Idiomorph.morph(target, fragment, { morphStyle: style === 'innerMorph' ? 'innerHTML' : 'outerHTML', callbacks })
      }
    })
  }
})()
