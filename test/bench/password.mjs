// argon2id at tokenward's defaults: hash and verify time, and how much the event loop stalls
// (perf_hooks.monitorEventLoopDelay) while 8 hashes run at once. Also checks that importing
// tokenward/password does not load the native argon2 module until the first hash. Prints JSON.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { median, QUICK } from './lib.mjs'

const N = QUICK ? 5 : 20
const BATCHES = QUICK ? 2 : 5

// The native addon shows up among the process's loaded shared objects once it is required.
const argon2Loaded = () => process.report.getReport().sharedObjects.some((path) => path.includes('argon2'))

const t0 = performance.now()
const { DEFAULT_PASSWORD_OPTIONS, hashPassword, verifyPassword } = await import(
  '../../dist/password/index.js'
)
const importMs = performance.now() - t0
const loadedAfterImport = argon2Loaded()

const t1 = performance.now()
const first = await hashPassword('warm-up password')
const firstHashMs = performance.now() - t1
const loadedAfterHash = argon2Loaded()

const hashMs = []
const verifyMs = []
for (let i = 0; i < N; i++) {
  let start = performance.now()
  const hash = await hashPassword(`password number ${i}`)
  hashMs.push(performance.now() - start)
  start = performance.now()
  if (!(await verifyPassword(hash, `password number ${i}`))) throw new Error('verify failed')
  verifyMs.push(performance.now() - start)
}
if (await verifyPassword(first, 'wrong')) throw new Error('wrong password verified')

// Event-loop delay while 8 hashes run concurrently (argon2 runs on libuv's thread pool).
const histogram = monitorEventLoopDelay({ resolution: 1 })
histogram.enable()
const concurrentStart = performance.now()
for (let b = 0; b < BATCHES; b++)
  await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`batch ${b} ${i}`)))
const concurrentMs = (performance.now() - concurrentStart) / BATCHES
histogram.disable()

console.log(
  JSON.stringify({
    options: DEFAULT_PASSWORD_OPTIONS,
    hashMs: median(hashMs),
    verifyMs: median(verifyMs),
    importMs,
    firstHashMs,
    loadedAfterImport,
    loadedAfterHash,
    eightConcurrentMs: concurrentMs,
    loopDelayP99Ms: histogram.percentile(99) / 1e6,
    loopDelayMaxMs: histogram.max / 1e6,
    loopDelayMeanMs: histogram.mean / 1e6,
  }),
)
