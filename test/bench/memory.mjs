// Memory: bytes per entry of memoryStore() (1,000,000 revocations) or of the verified-token cache
// (filled to its bound), measured as heap and RSS growth after a full GC — one measurement per
// process (`node --expose-gc memory.mjs store|cache`; run.mjs runs both). Prints JSON.
import { createAuth, memoryStore } from '../../dist/index.js'
import { QUICK, SECRET } from './lib.mjs'

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
  const store = memoryStore({ maxEntries: N + 1 })
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
  const auth = createAuth({ secret: SECRET, cache: { maxEntries: M } })
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
