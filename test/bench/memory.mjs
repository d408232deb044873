// Memory: bytes per entry of memoryStore() (1,000,000 revocations), of the verified-token cache
// (filled to its bound) or of redisStore's verdict cache (keys of distinct checks, with the key
// names it keeps for them), measured as heap and RSS growth after a full GC — one measurement per
// process (`node --expose-gc memory.mjs store|cache|redis-cache`; run.mjs runs all three). Prints JSON.
import { createAuth, memoryStore } from '../../dist/index.js'
import { QUICK, SECRET, sessionless, startRedis } from './lib.mjs'

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc')
const settle = () => {
  for (let i = 0; i < 3; i++) globalThis.gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}
const randomId = () => {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Buffer.from(bytes).toString('base64url') // a jti, as tokenward makes them
}

const which = process.argv[2]
// memoryStore: N revocations with ids like real jtis. The ids are counted: the store holds them.
if (which === 'store') {
  const N = QUICK ? 100_000 : 1_000_000
  // One counter slot: the revocations get the rest (rate-limit counters have their own bound).
  const store = memoryStore({ maxEntries: N + 1, maxCounters: 1 })
  const base = settle()
  const exp = Date.now() / 1000 + 3600
  for (let i = 0; i < N; i++) await store.revoke(randomId(), exp)
  const filled = settle()
  if (store.size !== N) throw new Error(`store holds ${store.size}, expected ${N}`)
  const storeResult = {
    entries: N,
    heapBytesPerEntry: (filled.heap - base.heap) / N,
    rssBytesPerEntry: (filled.rss - base.rss) / N,
  }
  await store.close?.()
  console.log(JSON.stringify(storeResult))
}

// The verified-token cache, filled to its bound with distinct tokens. The tokens are dropped once
// verified, so what remains is what the cache holds: the token string (its key), the entry and the
// frozen claims — as for tokens that arrive in request headers.
if (which === 'cache') {
  const M = QUICK ? 10_000 : 100_000
  const auth = createAuth({ secret: SECRET, cache: { maxEntries: M }, store: sessionless(memoryStore()) })
  const before = settle()
  let tokens = []
  for (let i = 0; i < M; i++)
    tokens.push((await auth.issueTokens({ sub: `user-${i}`, roles: ['user'] })).accessToken)
  const tokenLength = tokens[0].length
  for (const t of tokens) await auth.verifyAccessToken(t)
  tokens = null
  const after = settle()
  const cacheResult = {
    entries: M,
    tokenLength,
    heapBytesPerEntry: (after.heap - before.heap) / M,
    rssBytesPerEntry: (after.rss - before.rss) / M,
  }
  console.log(JSON.stringify(cacheResult))
}

// redisStore's verdict cache: distinct checks (a token id, its family id, the subject's cutoff —
// three keys each, as an access token's check reads), each answered once by Redis and then held.
if (which === 'redis-cache') {
  const { createClient } = await import('redis')
  const { redisStore } = await import('../../dist/stores/redis.js')
  const redis = await startRedis()
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  const CHECKS = QUICK ? 5_000 : 30_000
  const store = redisStore({ client, cache: { maxEntries: 3 * CHECKS + 10 }, onWarning: () => {} })
  await store.isRevoked([randomId()], { subject: 'warm', issuedAt: 0 })
  while (!store.cacheStats().live) await new Promise((resolve) => setTimeout(resolve, 5))
  let checks = Array.from({ length: CHECKS }, (_, i) => [[randomId(), randomId()], `user-${100000 + i}`])
  const before = settle()
  const entriesBefore = store.cacheStats().entries
  for (const [ids, subject] of checks) await store.isRevoked(ids, { subject, issuedAt: 0 })
  checks = null
  const after = settle()
  const entries = store.cacheStats().entries - entriesBefore
  console.log(
    JSON.stringify({
      checks: CHECKS,
      entries,
      heapBytesPerEntry: (after.heap - before.heap) / entries,
      rssBytesPerEntry: (after.rss - before.rss) / entries,
    }),
  )
  await store.close()
  await client.quit()
  await redis.stop()
}
