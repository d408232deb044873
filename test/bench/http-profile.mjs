// Where a protected request's time goes, per framework (issue 25: each framework's middleware ÷ its
// no-op middleware ≥ 0.95×; a miss is explained by a profile). For Express, Fastify and Hono, the
// server of the HTTP benchmark (http-server.mjs) runs under `node --cpu-prof` twice — the route
// behind a no-op middleware, then protected by tokenward's middleware (memory store) — each loaded
// by autocannon from this process for the same time, sampled every 100 µs. A sampling profiler
// charges wall time to where the thread was: on a busy machine, time descheduled inside a system
// call (writev) counts as that call's. The profiles are kept in
// .tmp/cpu-prof/http/ (open them in Chrome's DevTools); this prints, per framework and mode, CPU
// per request by place (tokenward's source files, the framework's packages, Node, GC) and the top
// functions by self time. Prints JSON.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createAuth } from '../../dist/index.js'
import { summarise } from './cpu-profile.mjs'
import { freePort, QUICK, SECRET, spawnReady } from './lib.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
const SECONDS = QUICK ? 2 : 6
const CONNECTIONS = 32
const FRAMEWORKS = ['express', 'fastify', 'hono']
const MODES = ['open-mw', 'tokenward']
const dir = `${root}.tmp/cpu-prof/http`

const token = (await createAuth({ secret: SECRET }).issueTokens({ sub: 'bench-user', roles: ['user'] }))
  .accessToken
const headers = { authorization: `Bearer ${token}` }

/** Runs one server under the profiler, loads it, stops it (SIGTERM: the profile is written at exit). */
async function profiled(framework, mode) {
  const out = `${dir}/${framework}-${mode}`
  mkdirSync(out, { recursive: true })
  const port = await freePort()
  const child = await spawnReady([
    '--cpu-prof',
    '--cpu-prof-interval',
    '100',
    '--cpu-prof-dir',
    out,
    'test/bench/http-server.mjs',
    framework,
    mode,
    String(port),
  ])
  const url = `http://127.0.0.1:${port}/protected`
  if ((await fetch(url, { headers })).status !== 200) throw new Error(`${framework}/${mode}: not 200`)
  await autocannon({ url, connections: CONNECTIONS, duration: 1, headers }) // warm-up: JIT, caches
  const from = Number(process.hrtime.bigint() / 1000n)
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers })
  const to = Number(process.hrtime.bigint() / 1000n)
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${framework}/${mode}: ${r.non2xx} non-2xx`)
  child.removeAllListeners('exit') // spawnReady's: an exit is expected now
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
  const [file] = readdirSync(out).filter((f) => f.endsWith('.cpuprofile'))
  // Only the samples of the measured load (not start-up, not the warm-up), per request in µs.
  const summary = summarise([JSON.parse(readFileSync(`${out}/${file}`, 'utf8'))], 10, { from, to })
  const requests = r.requests.total
  const perRequest = (rows) =>
    rows.map(({ key, ms, share }) => ({ key, micros: (ms * 1000) / requests, share }))
  return {
    rps: r.requests.average,
    profile: `${out.slice(root.length)}/${file}`,
    busyMicros: (summary.busyMs * 1000) / requests,
    groups: perRequest(summary.groups),
    files: perRequest(summary.files),
    functions: perRequest(summary.functions),
    ownFiles: perRequest(summary.ownFiles),
    ownFunctions: perRequest(summary.ownFunctions),
  }
}

rmSync(dir, { recursive: true, force: true })
const results = {}
for (const framework of FRAMEWORKS) {
  results[framework] = {}
  for (const mode of MODES) results[framework][mode] = await profiled(framework, mode)
  console.error(`http-profile ${framework} done`)
}
console.log(JSON.stringify({ seconds: SECONDS, connections: CONNECTIONS, results }))
