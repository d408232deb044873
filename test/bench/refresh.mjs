// Refresh rotations per second (memory store, Redis store on loopback, and the same Redis 1 ms away
// each way through a latency proxy: what a cloud deployment sees) and what a rotation costs Redis:
// commands per rotation counted by the server itself (INFO commandstats), the commands of one
// rotation as MONITOR saw them, and its round trips — counted as the chunks the client sent through
// the proxy, and read from the latency: (rotation 1 ms away − rotation on loopback) ÷ (PING 1 ms
// away − PING on loopback). Also the Redis cost of a revocation check: commands per authenticated
// request with the verdict cache off (one MGET each) and on (none once the token is known), and the
// latency it adds. Prints JSON.
import { createClient } from 'redis'
import { createAuth, memoryStore } from '../../dist/index.js'
import { redisStore } from '../../dist/stores/redis.js'
import { median, QUICK, SECRET, startLatencyProxy, startRedis } from './lib.mjs'

const ROUND_MS = QUICK ? 300 : 1500
const ROUNDS = QUICK ? 2 : 3
const PARALLEL = 32
/** The latency the proxy adds, each way (issue 25: "Redis 1 ms away"). */
const DELAY_MS = 1
const TRIPS = QUICK ? 30 : 200

/** Rotations per second: `parallel` families, each refreshing its latest token in a loop. */
async function rotations(auth, parallel, tag = '') {
  const rates = []
  for (let r = 0; r < ROUNDS; r++) {
    const tokens = await Promise.all(
      Array.from(
        { length: parallel },
        async (_, i) => (await auth.issueTokens({ sub: `r${tag}${r}-u${i}` })).refreshToken,
      ),
    )
    let n = 0
    const start = performance.now()
    await Promise.all(
      tokens.map(async (token) => {
        let t = token
        while (performance.now() - start < ROUND_MS) {
          t = (await auth.refresh(t)).refreshToken
          n++
        }
      }),
    )
    rates.push(n / ((performance.now() - start) / 1000))
  }
  return median(rates)
}

async function commandStats(client) {
  const info = await client.info('commandstats')
  const calls = {}
  for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[m[1]] = Number(m[2])
  return calls
}

/**
 * Redis commands the server ran while `fn` ran, minus the INFO call that reads them and the
 * verdict cache's heartbeat (a PING every 250 ms on its own connection, not per request).
 */
async function countCommands(client, fn) {
  const before = await commandStats(client)
  await fn()
  const after = await commandStats(client)
  const diff = {}
  for (const [name, calls] of Object.entries(after)) {
    const d = calls - (before[name] ?? 0) - (name === 'info' ? 1 : 0)
    if (d > 0 && name !== 'ping') diff[name] = d
  }
  return diff
}

async function latency(fn, n) {
  const samples = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    await fn(i)
    samples.push(performance.now() - start)
  }
  return median(samples) * 1000 // µs
}

/** Median ms of one rotation, one after another, on a family of its own. */
async function rotationMs(auth, sub) {
  let token = (await auth.issueTokens({ sub })).refreshToken
  token = (await auth.refresh(token)).refreshToken // the first touches what later ones find ready
  return (
    (await latency(async () => {
      token = (await auth.refresh(token)).refreshToken
    }, TRIPS)) / 1000
  )
}

/** Median ms of a PING from `client`. */
const pingMs = async (client) => (await latency(() => client.ping(), TRIPS)) / 1000

/**
 * The commands of one rotation, in order, as MONITOR prints them (the command and its first key);
 * those a script ran (MONITOR's "lua" source: no round trip of their own, but counted by INFO
 * commandstats like any other) are marked "(in the script)".
 */
async function traceRotation(auth, monitor) {
  const seen = []
  let token = (await auth.issueTokens({ sub: 'rt-trace' })).refreshToken
  token = (await auth.refresh(token)).refreshToken
  await monitor.monitor((line) => seen.push(line))
  await auth.refresh(token)
  await new Promise((resolve) => setTimeout(resolve, 50)) // MONITOR's lines arrive after the replies
  return seen.map((line) => {
    const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1])
    const [name = '?', ...rest] = args
    // EVAL's second argument is the script: name the key after it instead.
    const key = /^eval/i.test(name) ? rest[2] : rest[0]
    const inScript = /^\S+ \[\d+ lua\]/.test(line) ? ' (in the script)' : ''
    return `${name.toUpperCase()} ${key ?? ''}`.trim() + inScript
  })
}

const result = {}
// Room for every rotation of the run: each one leaves a spent mark, a session touch and a
// reuse-grace counter behind until they expire, far more than the default bounds hold.
const memAuth = createAuth({
  secret: SECRET,
  store: memoryStore({ maxEntries: 4_000_000, maxCounters: 1_000_000, maxSessions: 1_000_000 }),
})
result.memory = { sequential: await rotations(memAuth, 1), parallel: await rotations(memAuth, PARALLEL) }
console.error('refresh: memory done')

const redis = await startRedis()
const client = createClient({ url: redis.url })
client.on('error', () => {})
await client.connect()
const admin = createClient({ url: redis.url })
admin.on('error', () => {})
await admin.connect()
const store = redisStore({ client, onWarning: () => {} })
try {
  const auth = createAuth({ secret: SECRET, store })
  const uncachedStore = redisStore({ client, onWarning: () => {}, cache: false })
  const uncached = createAuth({ secret: SECRET, store: uncachedStore })
  result.redis = { sequential: await rotations(auth, 1), parallel: await rotations(auth, PARALLEL) }

  const N = QUICK ? 200 : 2000
  const pair = await auth.issueTokens({ sub: 'rt-user' })
  await auth.verifyAccessToken(pair.accessToken)
  while (!store.cacheStats().live) await new Promise((resolve) => setTimeout(resolve, 5))
  await auth.verifyAccessToken(pair.accessToken) // the cache knows the token from here on
  const perRequest = async (a) => {
    const calls = await countCommands(admin, async () => {
      for (let i = 0; i < N; i++)
        await a.authenticate({ headers: { authorization: `Bearer ${pair.accessToken}` } })
    })
    for (const k of Object.keys(calls)) calls[k] /= N
    return calls
  }
  await uncachedStore.ready() // the once-per-store server check is not a request's cost
  result.redis.perRequest = await perRequest(uncached)
  result.redis.perRequestCached = await perRequest(auth)
  const rot = await auth.issueTokens({ sub: 'rt-rotate' })
  let rt = rot.refreshToken
  result.redis.perRotation = await countCommands(admin, async () => {
    for (let i = 0; i < 100; i++) rt = (await auth.refresh(rt)).refreshToken
  })
  for (const k of Object.keys(result.redis.perRotation)) result.redis.perRotation[k] /= 100
  const monitor = admin.duplicate()
  monitor.on('error', () => {})
  await monitor.connect()
  result.redis.rotationTrace = await traceRotation(auth, monitor)
  await monitor.destroy()
  console.error('refresh: redis on loopback done')

  // The same Redis, DELAY_MS away each way: a client and store of their own through the proxy.
  const proxy = await startLatencyProxy(redis.url, DELAY_MS)
  const far = createClient({ url: proxy.url })
  far.on('error', () => {})
  await far.connect()
  const farStore = redisStore({ client: far, onWarning: () => {} })
  try {
    const farAuth = createAuth({ secret: SECRET, store: farStore })
    await farStore.ready?.()
    result.redis.pingMs = await pingMs(client)
    result.redis.rotationMs = await rotationMs(auth, 'rt-near')
    const farPing = await pingMs(far)
    const farRotation = await rotationMs(farAuth, 'rt-far')
    // Round trips two ways: the chunks the client's connection (the proxy's first: the verdict
    // cache's own connection, made later, carries its heartbeat) sent over TRIPS rotations, and the
    // latency the distance added.
    let token = (await farAuth.issueTokens({ sub: 'rt-count' })).refreshToken
    token = (await farAuth.refresh(token)).refreshToken
    const before = await commandStats(admin)
    const [chunksBefore] = await proxy.chunks()
    for (let i = 0; i < TRIPS; i++) token = (await farAuth.refresh(token)).refreshToken
    const [chunksAfter] = await proxy.chunks()
    const after = await commandStats(admin)
    const delta = (name) => (after[name] ?? 0) - (before[name] ?? 0)
    const commands = Object.keys(after)
      .filter((name) => name !== 'ping' && name !== 'info')
      .reduce((n, name) => n + delta(name), 0)
    result.redisFar = {
      delayMs: DELAY_MS,
      sequential: await rotations(farAuth, 1, 'far'),
      parallel: await rotations(farAuth, PARALLEL, 'far'),
      pingMs: farPing,
      rotationMs: farRotation,
      roundTrips: {
        chunks: (chunksAfter - chunksBefore) / TRIPS,
        fromLatency: (farRotation - result.redis.rotationMs) / (farPing - result.redis.pingMs),
      },
      commandsPerRotation: commands / TRIPS,
    }
  } finally {
    await farStore.close()
    await far.quit().catch(() => {})
    await proxy.stop()
  }
  console.error('refresh: redis 1 ms away done')

  // What the check costs a request: verify with the Redis store vs the memory store (cache on, the
  // same token: signature work is out of the picture, the store round trip is what remains).
  const memPair = await memAuth.issueTokens({ sub: 'lat' })
  result.redis.verifyMicros = await latency(() => auth.verifyAccessToken(pair.accessToken), N)
  result.redis.verifyMicrosNoCache = await latency(() => uncached.verifyAccessToken(pair.accessToken), N)
  result.memory.verifyMicros = await latency(() => memAuth.verifyAccessToken(memPair.accessToken), N)
} finally {
  await store.close()
  await client.quit().catch(() => {})
  await admin.quit().catch(() => {})
  await redis.stop()
}
console.log(JSON.stringify(result))
