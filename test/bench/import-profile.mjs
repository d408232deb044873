// Where tokenward's cold import goes, for whoever makes it lazier (issue 25: ≤ 1.1× jose):
//   - CPU profiles (`node --cpu-prof`, sampled every 50 µs) of fresh processes importing tokenward
//     and jose, summed: self time per place (tokenward's source files through dist's source maps,
//     jose, Node's ESM loader, V8's parse/compile) — saved in .tmp/cpu-prof/import/;
//   - the static import graph each loads (files and bytes per package: what is parsed before the
//     first line of the app runs; `import()` inside them is lazy and not followed);
//   - the bytes of each tokenward source file in the core's bundle (esbuild's metafile).
// Prints JSON.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { summarise } from './cpu-profile.mjs'
import { QUICK } from './lib.mjs'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('../../', import.meta.url))
const RUNS = QUICK ? 3 : 10
const dir = `${root}.tmp/cpu-prof/import`

/** `RUNS` profiles of a process importing `specifier`, alternating with the others, summed. */
function profiles(specifiers) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (let i = 0; i < RUNS; i++)
    for (const s of specifiers)
      execFileSync(
        process.execPath,
        [
          '--cpu-prof',
          '--cpu-prof-interval',
          '50',
          '--cpu-prof-dir',
          dir,
          '--cpu-prof-name',
          `${s.replace('/', '-')}-${i}.cpuprofile`,
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(s)})`,
        ],
        { cwd: root, stdio: 'ignore' },
      )
  return Object.fromEntries(
    specifiers.map((s) => {
      const files = readdirSync(dir).filter((f) => f.startsWith(`${s.replace('/', '-')}-`))
      const summary = summarise(files.map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'))))
      const per = (rows) => rows.map((r) => ({ ...r, ms: r.ms / files.length }))
      return [
        s,
        {
          busyMs: summary.busyMs / files.length,
          groups: per(summary.groups),
          files: per(summary.files),
          functions: per(summary.functions),
        },
      ]
    }),
  )
}

/** Files and bytes per package of the static ESM import graph from `specifier`. */
function staticGraph(specifier) {
  const seen = new Set()
  const queue = [fileURLToPath(import.meta.resolve(specifier))]
  const packages = {}
  const importRe = /(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]*?\sfrom\s*)?['"]([^'"]+)['"]/g
  while (queue.length) {
    const file = queue.pop()
    if (seen.has(file)) continue
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    const inPackage = file.lastIndexOf('/node_modules/')
    const pkg = inPackage >= 0 ? file.slice(inPackage + 14).split('/')[0] : 'tokenward'
    packages[pkg] ??= { files: 0, bytes: 0 }
    packages[pkg].files++
    packages[pkg].bytes += Buffer.byteLength(text)
    for (const [, spec] of text.matchAll(importRe)) {
      if (spec.startsWith('node:')) continue
      if (spec.startsWith('.')) queue.push(fileURLToPath(new URL(spec, `file://${file}`)))
      else queue.push(fileURLToPath(import.meta.resolve(spec)))
    }
  }
  return packages
}

/** Bytes of each source file in the core's bundle (packages left out), largest first. */
function bundleBytes() {
  const { buildSync } = require('esbuild')
  const { metafile } = buildSync({
    entryPoints: [`${root}src/index.ts`],
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    write: false,
    metafile: true,
    outdir: `${root}.tmp/bundle`,
    logLevel: 'silent',
  })
  const [output] = Object.values(metafile.outputs)
  return Object.entries(output.inputs)
    .map(([file, { bytesInOutput }]) => ({ file, bytes: bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
}

console.error('import-profile: profiling')
const profile = profiles(['tokenward', 'jose'])
const bytes = bundleBytes()
console.log(
  JSON.stringify({
    runs: RUNS,
    profile,
    graph: { tokenward: staticGraph('tokenward'), jose: staticGraph('jose') },
    bundle: { totalBytes: bytes.reduce((n, r) => n + r.bytes, 0), files: bytes.slice(0, 15) },
  }),
)
