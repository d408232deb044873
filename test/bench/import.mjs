// Cold import cost: a fresh Node process times `await import(x)` for tokenward (the built
// package, by its own name), its subpaths and jose alone, alternating, many times. Prints JSON.
import { execFileSync } from 'node:child_process'
import { median, QUICK } from './lib.mjs'

const RUNS = QUICK ? 5 : 21
const SPECIFIERS = ['jose', 'tokenward', 'tokenward/redis', 'tokenward/password']

const once = (specifier) =>
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

const times = Object.fromEntries(SPECIFIERS.map((s) => [s, []]))
for (let i = 0; i < RUNS; i++) for (const s of SPECIFIERS) times[s].push(once(s))
// The ratio is taken run by run (neighbouring processes see the same machine), then the median.
const ratio = median(times.tokenward.map((t, i) => t / times.jose[i]))
console.log(
  JSON.stringify({ runs: RUNS, ms: Object.fromEntries(SPECIFIERS.map((s) => [s, median(times[s])])), ratio }),
)
