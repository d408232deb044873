// The verdict cache's time bound and the revocations written by a script (security review L1,
// issue 21 item 8), against real redis-servers: Redis announces no SWAPDB, so a cached answer has
// a maximum age (cache.maxAgeMs, 60 s by default) — driven here by the store's injected clock, not
// by waiting. And a save past maxPerSubject, which revokes the ended family inside its script, is
// seen at once by the instance that saved and, through the announcement, by every other.
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterEach, describe, expect, it } from 'vitest'
import { AuthError, createAuth } from '../../src/index.js'
import { type RedisStoreOptions, redisStore } from '../../src/stores/redis/index.js'
import type { TokenStore } from '../../src/stores/types.js'
import { type RedisServer, redisServerBin, startRedis } from '../setup/redis.js'

const SECRET = 'verdict-cache-age-secret-at-least-32-bytes'
const quiet = () => {}
type Client = RedisStoreOptions['client']
const KINDS = ['node-redis', 'ioredis'] as const

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(): Promise<RedisServer> {
  const s = await startRedis()
  cleanups.push(s.stop)
  return s
}

/** A client on `url` (database `db`), closed after the test. */
async function clientOf(kind: (typeof KINDS)[number], url: string, db = 0): Promise<Client> {
  if (kind === 'node-redis') {
    const c = createClient({ url, database: db, socket: { reconnectStrategy: () => 50 } })
    c.on('error', () => {})
    await c.connect()
    cleanups.push(() => (c.isOpen ? c.quit().catch(() => c.destroy()) : undefined))
    return c
  }
  const c = new Redis(url, { db, retryStrategy: () => 50, maxRetriesPerRequest: 1 })
  c.on('error', () => {})
  cleanups.push(() => c.disconnect())
  return c
}

/** A store without its session methods, so verifying and revoking write nothing else. */
function withoutSessions(store: TokenStore): TokenStore {
  const { revoke, isRevoked, consume, setCutoff, getCutoff, hit } = store
  return { revoke, isRevoked, consume, setCutoff, getCutoff, hit }
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (err: unknown) => (err instanceof AuthError ? err.code : `thrown: ${String(err)}`),
  )
const fidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { fid: string }).fid

describe.skipIf(!redisServerBin())('redisStore verdict cache: age bound and script writes', () => {
  it('SWAPDB (announced to no tracker) is seen by the caching instance once its answer is maxAgeMs old', async () => {
    const s = await server()
    for (const kind of KINDS) {
      const admin = await clientOf('ioredis', s.url)
      await (admin as Redis).flushall()
      const prefix = `swap-${kind}:`
      let now = Date.now()
      const cached = redisStore({
        client: await clientOf(kind, s.url),
        prefix,
        onWarning: quiet,
        now: () => now,
      })
      cleanups.push(() => cached.close?.())
      const plain = redisStore({
        client: await clientOf(kind, s.url),
        prefix,
        onWarning: quiet,
        cache: false,
      })
      const other = redisStore({
        client: await clientOf(kind, s.url, 1),
        prefix,
        onWarning: quiet,
        cache: false,
      })
      const [a, b, inDb1] = [cached, plain, other].map((store) =>
        createAuth({ secret: SECRET, store: withoutSessions(store) }),
      )
      const pair = await createAuth({ secret: SECRET }).issueTokens({ sub: 'u1' })
      // The session is revoked in database 1 first (a write there is announced too, so it comes
      // before A caches), and then SWAPDB makes database 1 database 0 — without a word.
      await inDb1!.revoke(pair.accessToken)
      await a!.verifyAccessToken(pair.accessToken)
      await until(() => cached.cacheStats().live, 'the cache to go live')
      await a!.verifyAccessToken(pair.accessToken) // cached now: "not revoked"
      const hits = cached.cacheStats().hits
      expect(await outcome(a!.verifyAccessToken(pair.accessToken)), kind).toBe('ok')
      expect(cached.cacheStats().hits, kind).toBe(hits + 1)

      await (admin as Redis).swapdb(0, 1)
      expect(await outcome(b!.verifyAccessToken(pair.accessToken)), kind).toBe('token_revoked')
      expect(await outcome(a!.verifyAccessToken(pair.accessToken)), `${kind}: no announcement`).toBe('ok')
      now += 59_000
      expect(await outcome(a!.verifyAccessToken(pair.accessToken)), `${kind} after 59 s`).toBe('ok')
      now += 1_500 // past 60 s since the answer was read: Redis is asked again
      expect(await outcome(a!.verifyAccessToken(pair.accessToken)), `${kind} after 60.5 s`).toBe(
        'token_revoked',
      )
    }
  })

  it('a present answer (a cutoff) is bounded by maxAgeMs too, and the bound is an option', async () => {
    const s = await server()
    const admin = (await clientOf('ioredis', s.url)) as Redis
    let now = Date.now()
    const prefix = 'age:'
    const store = redisStore({
      client: await clientOf('node-redis', s.url),
      prefix,
      onWarning: quiet,
      now: () => now,
      cache: { maxAgeMs: 5_000 },
    })
    cleanups.push(() => store.close?.())
    const writer = redisStore({
      client: await clientOf('node-redis', s.url, 1),
      prefix,
      onWarning: quiet,
      cache: false,
    })
    const at = Date.now() / 1000
    await store.setCutoff('u1', at - 100, at + 600)
    await writer.setCutoff('u1', at, at + 600) // in database 1, before the cache reads database 0
    const check = () => store.isRevoked([], { subject: 'u1', issuedAt: at - 50 })
    await check()
    await until(() => store.cacheStats().live, 'the cache to go live')
    await check()
    // The cutoff (100 s ago, older than the token) is cached once its expiry has been read.
    await until(() => check() === false, 'the cutoff to be cached')
    await admin.swapdb(0, 1)
    expect(check()).toBe(false) // not announced
    now += 5_001
    expect(await check()).toBe(true)
    expect(() => redisStore({ client: admin, cache: { maxAgeMs: 0 } })).toThrow(
      '`cache.maxAgeMs` must be a whole number from 1, got 0',
    )
    expect(() => redisStore({ client: admin, cache: { maxAge: 5 } as never })).toThrow(
      'unknown option `maxAge` in redisStore `cache` — did you mean `maxAgeMs`?',
    )
  })

  it('a save past maxPerSubject revokes the ended session on the saving instance at once, and on the others when Redis announces it', async () => {
    const s = await server()
    for (const [aKind, bKind] of [
      ['node-redis', 'ioredis'],
      ['ioredis', 'node-redis'],
    ] as const) {
      const prefix = `cap-${aKind}:`
      const stores = [await clientOf(aKind, s.url), await clientOf(bKind, s.url)].map((client) =>
        redisStore({ client, prefix, onWarning: quiet }),
      )
      for (const store of stores) cleanups.push(() => store.close?.())
      const [a, b] = stores.map((store) => createAuth({ secret: SECRET, store }))
      const old = await a!.issueTokens({ sub: 'u1' })
      for (const [i, auth] of [a!, b!].entries()) {
        await auth.verifyAccessToken(old.accessToken)
        await until(() => stores[i]!.cacheStats().live, 'the cache to go live')
        await auth.verifyAccessToken(old.accessToken)
      }
      const seen = stores[1]!.cacheStats().invalidations
      const t = Date.now() / 1000
      const ended = await stores[0]!.saveSession!(
        {
          id: 'new',
          subject: 'u1',
          createdAt: t,
          lastUsedAt: t,
          expiresAt: t + 600,
          userAgent: null,
          address: null,
        },
        { maxPerSubject: 1 },
      )
      expect(ended).toEqual([fidOf(old.accessToken)])
      expect(await outcome(a!.verifyAccessToken(old.accessToken)), `${aKind} A`).toBe('token_revoked')
      await until(() => stores[1]!.cacheStats().invalidations > seen, 'the announcement to reach B')
      expect(await outcome(b!.verifyAccessToken(old.accessToken)), `${bKind} B`).toBe('token_revoked')
      await expect(b!.refresh(old.refreshToken)).rejects.toMatchObject({ code: 'token_revoked' })
    }
  })
})
