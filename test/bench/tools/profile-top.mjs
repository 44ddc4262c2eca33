#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): where the busy time went,
// by function (self and inclusive) and by module. Usage:
//   node test/bench/tools/profile-top.mjs FILE [--skip-ms N] [--top N]
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const file = args.find((a) => !a.startsWith('--'))
const option = (name, fallback) => { const i = args.indexOf(name); return i === -1 ? fallback : Number(args[i + 1]) }
const skipMs = option('--skip-ms', 0) // leave out start-up
const top = option('--top', 25)
if (!file) {
  console.error('usage: profile-top.mjs FILE [--skip-ms N] [--top N]')
  process.exit(2)
}

const profile = JSON.parse(readFileSync(file, 'utf8'))
const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const short = (url) => url.replace(/.*node_modules\//, '~/').replace(/^file:\/\/.*?\/(dist|src|components|plugins)\//, '$1/')
const label = (f) => `${f.functionName || '(anonymous)'} ${short(f.url)}:${f.lineNumber + 1}`

let clock = 0
let busy = 0
let idle = 0
const self = new Map()
const inclusive = new Map()
const modules = new Map()
const add = (map, key, v) => map.set(key, (map.get(key) ?? 0) + v)
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  clock += dt
  if (clock / 1000 < skipMs) return
  const frame = nodes.get(id).callFrame
  if (frame.functionName === '(idle)') { idle += dt; return }
  busy += dt
  add(self, label(frame), dt)
  const seenFn = new Set()
  const seenModule = new Set()
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const f = nodes.get(cur).callFrame
    const fn = label(f)
    const mod = short(f.url).split('/').slice(0, 3).join('/') || '(native)'
    if (!seenFn.has(fn)) { seenFn.add(fn); add(inclusive, fn, dt) }
    if (!seenModule.has(mod)) { seenModule.add(mod); add(modules, mod, dt) }
  }
})

const show = (title, map) => {
  console.log(`\n${title}`)
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(v / busy * 100).toFixed(1).padStart(6)}%  ${k}`)
}
console.log(`busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`)
show('self time', self)
show('inclusive time by function', inclusive)
show('inclusive time by module', modules)
