// `npm run test:runtimes`: the runtime flow against the built package (node_modules/tokenward is not
// needed: the package resolves itself by name through `exports`):
// - test/runtimes/flow.mjs on Bun, on Deno and on Node 26 (pinned in node.mjs, installed from the
//   npm registry on first use; the suite itself runs on Node 20, 22 and 24);
// - test/runtimes/workerd.mjs: the same apps bundled into a module Worker and run in workerd.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { envWithNode, nodeBinary } from './node.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
if (!existsSync(`${root}dist/index.js`))
  execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'inherit' })

const bin = (name) => `${root}node_modules/.bin/${name}`
const node26 = nodeBinary(26)
const runs = [
  ['bun', [bin('bun'), 'test/runtimes/flow.mjs']],
  // --cached-only: never the network; -A: @node-rs/argon2 needs env, sys and ffi under Deno.
  [
    'deno',
    [bin('deno'), 'run', '-A', '--node-modules-dir=manual', '--cached-only', 'test/runtimes/flow.mjs'],
  ],
  ['node 26', [node26, 'test/runtimes/flow.mjs'], envWithNode(node26)],
  ['workerd', [process.execPath, 'test/runtimes/workerd.mjs']],
]
let passed = 0
let failed = 0
for (const [name, [cmd, ...args], env] of runs) {
  const started = Date.now()
  const run = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 180_000, env: env ?? process.env })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const line = (run.stdout ?? '').trim().split('\n').pop() ?? ''
  if (run.status === 0 && line.startsWith('{')) {
    const { runtime, results } = JSON.parse(line)
    console.log(`✓ ${runtime}: ${results.length} checks passed in ${seconds} s`)
    passed++
  } else {
    console.log(`✗ ${name} (exit ${run.status}, ${seconds} s)\n${run.stdout}\n${run.stderr}`)
    failed++
  }
}
console.log(`runtimes: ${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
