// `npm run test:runtimes`: runs test/runtimes/flow.mjs on Bun and on Deno against the built package
// (node_modules/tokenward is not needed: the package resolves itself by name through `exports`).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
if (!existsSync(`${root}dist/index.js`))
  execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'inherit' })

const bin = (name) => `${root}node_modules/.bin/${name}`
const runs = [
  ['bun', [bin('bun'), 'test/runtimes/flow.mjs']],
  // --cached-only: never the network; -A: @node-rs/argon2 needs env, sys and ffi under Deno.
  [
    'deno',
    [bin('deno'), 'run', '-A', '--node-modules-dir=manual', '--cached-only', 'test/runtimes/flow.mjs'],
  ],
]
let passed = 0
let failed = 0
for (const [name, [cmd, ...args]] of runs) {
  const run = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 120_000 })
  const line = (run.stdout ?? '').trim().split('\n').pop() ?? ''
  if (run.status === 0 && line.startsWith('{')) {
    const { runtime, results } = JSON.parse(line)
    console.log(`✓ ${runtime}: ${results.map((r) => r.name).join(', ')}`)
    passed++
  } else {
    console.log(`✗ ${name} (exit ${run.status})\n${run.stdout}\n${run.stderr}`)
    failed++
  }
}
console.log(`runtimes: ${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
