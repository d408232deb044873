// Cold import cost, two ways, every contender alternating run by run:
//   process  the whole process, as a serverless cold start pays it: `node -e "import('x')"` timed
//            from spawn to exit (Node's own start-up included; `node -e ""` is measured beside it)
//   import   `await import(x)` alone, timed inside a fresh process
// for tokenward (the built package, by its own name), its subpaths, jose alone, and the frameworks
// the adapters import (tokenward/express imports express, tokenward/hono imports hono). Ratios to
// jose are taken run by run (neighbouring processes see the same machine), then the median.
// Prints JSON.
import { execFileSync } from 'node:child_process'
import { median, QUICK } from './lib.mjs'

const RUNS = QUICK ? 5 : 21
/** Timed as whole processes (issue 25: cold import ÷ jose ≤ 1.1×). */
const PROCESS = ['', 'jose', 'tokenward', 'tokenward/express', 'express', 'tokenward/hono', 'hono']
/** Timed inside the process. */
const IMPORT = ['jose', 'tokenward', 'tokenward/redis', 'tokenward/password']

const wholeProcess = (specifier) => {
  const code = specifier === '' ? '' : `import(${JSON.stringify(specifier)})`
  const start = performance.now()
  execFileSync(process.execPath, ['-e', code], { stdio: 'ignore' })
  return performance.now() - start
}

const importOnly = (specifier) =>
  Number(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t))`,
      ],
      { encoding: 'utf8' },
    ),
  )

const proc = Object.fromEntries(PROCESS.map((s) => [s, []]))
const imp = Object.fromEntries(IMPORT.map((s) => [s, []]))
wholeProcess('jose') // the first spawn pays for the disk cache; not a sample
for (let i = 0; i < RUNS; i++) {
  // Rotate the order each run, so no contender always follows the same neighbour.
  for (let j = 0; j < PROCESS.length; j++) {
    const s = PROCESS[(i + j) % PROCESS.length]
    proc[s].push(wholeProcess(s))
  }
  for (const s of IMPORT) imp[s].push(importOnly(s))
}

const spread = (xs) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) })
const byRun = (xs, ys) => median(xs.map((x, i) => x / ys[i]))
const processRows = Object.fromEntries(
  PROCESS.filter((s) => s !== '').map((s) => [
    s,
    {
      ...spread(proc[s]),
      // Over jose's process, and over jose's once Node's start-up is taken from both.
      ratio: byRun(proc[s], proc.jose),
      netRatio: byRun(
        proc[s].map((t, i) => t - proc[''][i]),
        proc.jose.map((t, i) => t - proc[''][i]),
      ),
    },
  ]),
)
console.log(
  JSON.stringify({
    runs: RUNS,
    node: spread(proc['']),
    process: processRows,
    // `ms` and `ratio`: the in-process `await import` figures, as before.
    ms: Object.fromEntries(IMPORT.map((s) => [s, median(imp[s])])),
    ratio: byRun(imp.tokenward, imp.jose),
  }),
)
