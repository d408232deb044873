// HTTP benchmark: for Express, Fastify and Hono, the same GET /protected unprotected, protected by
// tokenward (memory store, Redis store with its verdict cache, Redis store without it) and
// protected by the framework's usual JWT plugin.
// Each server is its own process; autocannon loads it from this one, on 127.0.0.1. Rounds are
// interleaved (every variant once per round, in rotating order) so a noisy neighbour hits all
// variants alike; ratios (to the unprotected route, and to the route behind a no-op middleware) are
// taken within a round, then the median across rounds.
// Prints JSON.
import autocannon from 'autocannon'
import { createAuth } from '../../dist/index.js'
import { freePort, median, QUICK, SECRET, spawnReady, startRedis, stop } from './lib.mjs'

const ROUNDS = QUICK ? 1 : 5
const SECONDS = QUICK ? 1 : 2
const CONNECTIONS = 32
const COMMON = [
  'open',
  'open-mw',
  'open-user',
  'tokenward',
  'tokenward-redis',
  'tokenward-redis-nocache',
  'peer',
]
const MODES = {
  express: COMMON,
  fastify: COMMON,
  hono: [...COMMON, 'tokenward-protect', 'tokenward-redis-protect'],
}
const FRAMEWORKS = Object.keys(MODES)

const redis = await startRedis()
const token = (await createAuth({ secret: SECRET }).issueTokens({ sub: 'bench-user', roles: ['user'] }))
  .accessToken
const headers = { authorization: `Bearer ${token}` }

const load = (url, duration) =>
  autocannon({ url, connections: CONNECTIONS, duration, headers, pipelining: 1 })

const results = []
let servers = {}
try {
  for (const framework of FRAMEWORKS) {
    servers = {}
    const modes = MODES[framework]
    for (const mode of modes) {
      const port = await freePort()
      const child = await spawnReady(['test/bench/http-server.mjs', framework, mode, String(port), redis.url])
      const url = `http://127.0.0.1:${port}/protected`
      servers[mode] = { child, url, rps: [], p99: [], cpu: [] }
      // A benchmark of 401s would measure nothing: every variant must accept the token.
      const check = await fetch(url, { headers })
      if (check.status !== 200)
        throw new Error(`${framework}/${mode}: GET /protected answered ${check.status}`)
      await load(url, QUICK ? 1 : 2) // warm-up, once per server: JIT, caches, pools
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = modes.map((_, i) => modes[(i + round) % modes.length])
      for (const mode of order) {
        const s = servers[mode]
        const cpuUrl = s.url.replace('/protected', '/__cpu')
        const before = (await (await fetch(cpuUrl)).json()).cpuMicros
        const r = await load(s.url, SECONDS)
        const after = (await (await fetch(cpuUrl)).json()).cpuMicros
        s.cpu.push((after - before) / r.requests.total)
        if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
          throw new Error(
            `${framework}/${mode}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
          )
        s.rps.push(r.requests.average)
        s.p99.push(r.latency.p99)
      }
      console.error(`http ${framework} round ${round + 1}/${ROUNDS}`)
    }
    const row = { framework }
    for (const mode of modes) {
      const s = servers[mode]
      row[mode] = { rps: median(s.rps), p99: median(s.p99), cpuMicros: median(s.cpu) }
      if (mode !== 'open') {
        row[mode].ratio = median(s.rps.map((x, i) => x / servers.open.rps[i]))
        row[mode].cpuRatio = median(s.cpu.map((x, i) => servers.open.cpu[i] / x))
      }
      // Issue 25: a protected route against the same route behind a no-op middleware (Fastify: an
      // async preHandler), the framework's own cost of having a middleware at all.
      if (mode !== 'open' && mode !== 'open-mw') {
        row[mode].mwRatio = median(s.rps.map((x, i) => x / servers['open-mw'].rps[i]))
        row[mode].mwCpuRatio = median(s.cpu.map((x, i) => servers['open-mw'].cpu[i] / x))
      }
      // ... and against the no-op that puts a user on the request: what any auth middleware pays.
      if (mode.startsWith('tokenward'))
        row[mode].userRatio = median(s.rps.map((x, i) => x / servers['open-user'].rps[i]))
      await stop(s.child)
    }
    results.push(row)
  }
} finally {
  for (const s of Object.values(servers)) await stop(s.child)
  await redis.stop()
}
console.log(JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, results }))
