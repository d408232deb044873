// Soak: 60 s of authenticated requests, every one with a token the server has not seen recently
// (a pool 5× the verified-token cache, so every request misses the cache and evicts an entry),
// against a Fastify server protected by tokenward. The server's heap after a full GC is sampled
// every 10 s; a leak shows as steady growth. Prints JSON.
import autocannon from 'autocannon'
import { createAuth, memoryStore } from '../../dist/index.js'
import { freePort, QUICK, SECRET, sessionless, spawnReady, stop } from './lib.mjs'

const SECONDS = QUICK ? 10 : 60
const SAMPLE_EVERY = QUICK ? 2 : 10
const POOL = QUICK ? 20_000 : 50_000

const issuer = createAuth({ secret: SECRET, store: sessionless(memoryStore()) })
const tokens = []
for (let i = 0; i < POOL; i++)
  tokens.push((await issuer.issueTokens({ sub: `soak-user-${i}`, roles: ['user'] })).accessToken)

const port = await freePort()
const server = await spawnReady([
  '--expose-gc',
  'test/bench/http-server.mjs',
  'fastify',
  'tokenward',
  String(port),
])
const base = `http://127.0.0.1:${port}`
const heap = async () => (await (await fetch(`${base}/__heap`)).json()).heapUsed
try {
  const samples = [{ at: 0, heapUsed: await heap() }]
  let next = 0
  const run = autocannon({
    url: `${base}/protected`,
    connections: 32,
    duration: SECONDS,
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % POOL]}` },
        }),
      },
    ],
  })
  const started = Date.now()
  const timer = setInterval(async () => {
    samples.push({ at: Math.round((Date.now() - started) / 1000), heapUsed: await heap() })
  }, SAMPLE_EVERY * 1000)
  const result = await run
  clearInterval(timer)
  if (samples[samples.length - 1].at < SECONDS) samples.push({ at: SECONDS, heapUsed: await heap() })
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`soak: ${result.non2xx} non-2xx, ${result.errors} errors`)
  // Growth is taken from the first sample under load (caches warm) to the last.
  const warm = samples[1] ?? samples[0]
  const last = samples[samples.length - 1]
  console.log(
    JSON.stringify({
      seconds: SECONDS,
      requests: result.requests.total,
      distinctTokens: POOL,
      samples,
      growthBytes: last.heapUsed - warm.heapUsed,
      growthPercent: ((last.heapUsed - warm.heapUsed) / warm.heapUsed) * 100,
    }),
  )
} finally {
  await stop(server)
}
