// Reading V8 CPU profiles (`node --cpu-prof`) for the benchmarks that say where time goes: self
// time per function and per place — tokenward's own source files (dist mapped back to src through
// its source maps), each package, Node's internals, the garbage collector, V8's "(program)" (parse,
// compile, native code) — in ms and as a share of the busy (non-idle) time.
import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const maps = new Map()

/** The source map of a built file of ours, or null. */
function sourceMapOf(file) {
  if (!maps.has(file)) {
    let map = null
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')))
    } catch {}
    maps.set(file, map)
  }
  return maps.get(file)
}

/** `{ group, file, name, line }` of a profile frame: which code it is, for the tables. */
export function placeOf({ functionName, url, lineNumber, columnNumber }) {
  const name = functionName || '(anonymous)'
  if (functionName === '(garbage collector)') return { group: 'GC', file: 'GC', name }
  if (functionName === '(program)')
    return { group: 'V8 (program)', file: 'V8: parse, compile, native code', name }
  if (functionName === '(idle)') return { group: 'idle', file: 'idle', name }
  if (url.startsWith('node:')) return { group: 'Node internals', file: url, name }
  // No script: a native function (a binding of Node's, a V8 builtin such as JSON.parse).
  if (url === '') return { group: 'native', file: 'native functions', name }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  const inPackage = path.lastIndexOf('/node_modules/')
  if (inPackage >= 0) {
    const parts = path.slice(inPackage + 14).split('/')
    const pkg = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
    const file = `${pkg}/${parts.slice(pkg.split('/').length).join('/')}`
    return { group: pkg, file, name, line: lineNumber + 1 }
  }
  if (path.startsWith(`${root}dist/`)) {
    const entry = sourceMapOf(path)?.findEntry(lineNumber, columnNumber)
    const source = entry?.originalSource?.replace(/^.*?\/src\//, 'src/') ?? path.slice(root.length)
    const line = entry?.originalLine === undefined ? lineNumber + 1 : entry.originalLine + 1
    return { group: 'tokenward', file: source, name, line }
  }
  const line = lineNumber + 1
  if (path.startsWith(root)) return { group: 'harness', file: path.slice(root.length), name, line }
  return { group: 'other', file: path || '(script)', name, line }
}

/**
 * Self time (ms) per profile node id: each sample's node is charged the time to the next sample.
 * With `window` ({ from, to }, µs on the monotonic clock — `process.hrtime.bigint() / 1000n` in any
 * process of the machine, as V8 stamps its samples), only the samples inside it.
 */
function selfTimes(profile, window) {
  const self = new Map()
  const { samples, timeDeltas } = profile
  let t = profile.startTime
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i]
    if (window && (t < window.from || t > window.to)) continue
    const dt = (timeDeltas[i + 1] ?? 0) / 1000
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt)
  }
  return self
}

const sorted = (map, busy, top) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, ms]) => ({ key, ms, share: ms / busy }))

/**
 * Where the time of one or more profiles went: `groups` (tokenward, each package, Node, GC, V8),
 * `files` (tokenward's source files and the packages' files) and `functions` (the top `top` by self
 * time), and the same for tokenward's code alone (`ownFiles`, `ownFunctions`), each with ms summed
 * over the profiles and its share of the busy time; `window` as in selfTimes.
 */
export function summarise(profiles, top = 12, window = undefined) {
  const groups = new Map()
  const files = new Map()
  const functions = new Map()
  const ownFiles = new Map()
  const ownFunctions = new Map()
  let busy = 0
  let idle = 0
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    for (const [id, ms] of selfTimes(profile, window)) {
      const node = byId.get(id)
      if (!node || node.callFrame.functionName === '(root)') continue
      const { group, file, name, line } = placeOf(node.callFrame)
      if (group === 'idle') {
        idle += ms
        continue
      }
      busy += ms
      const add = (map, key) => map.set(key, (map.get(key) ?? 0) + ms)
      add(groups, group)
      add(files, `${group === 'tokenward' ? 'tokenward ' : ''}${file}`)
      const fn = `${name} (${file}${line === undefined ? '' : `:${line}`})`
      add(functions, fn)
      if (group === 'tokenward') {
        add(ownFiles, file)
        add(ownFunctions, fn)
      }
    }
  }
  return {
    busyMs: busy,
    idleMs: idle,
    groups: sorted(groups, busy, 20),
    files: sorted(files, busy, top),
    functions: sorted(functions, busy, top),
    // tokenward's own (dist mapped back to src/), whatever their rank among the rest.
    ownFiles: sorted(ownFiles, busy, top),
    ownFunctions: sorted(ownFunctions, busy, top),
  }
}
