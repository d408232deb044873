// `npm run test:matrix` (run by .ci/run): the full suite (`vitest run`) on each pinned Node
// version of test/runtimes/node.mjs — by default 22 and 24; the machine's own Node runs it as
// `npm test`. `node test/runtimes/matrix.mjs 26` picks other versions. One after the other: the
// suite starts its own Redis servers and uses both cores.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { envWithNode, nodeBinary } from './node.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24']

const outcomes = []
for (const major of majors) {
  const bin = nodeBinary(major)
  console.log(`\n=== vitest run on ${bin} ===`)
  const started = Date.now()
  const run = spawnSync(bin, ['node_modules/vitest/vitest.mjs', 'run'], {
    cwd: root,
    env: envWithNode(bin),
    stdio: 'inherit',
  })
  outcomes.push({ major, ok: run.status === 0, seconds: Math.round((Date.now() - started) / 1000) })
}
console.log('')
for (const o of outcomes)
  console.log(
    `${o.ok ? '✓' : '✗'} Node ${o.major}: vitest run ${o.ok ? 'passed' : 'FAILED'} in ${o.seconds} s`,
  )
process.exit(outcomes.every((o) => o.ok) ? 0 : 1)
