// The verdict cache of redisStore, against real redis-servers (each test starts its own, so the
// server's command counters and restarts belong to it): a known answer costs no round trip and
// is synchronous, and Redis keeps it exact — a revocation made by another instance is seen by the
// next request after the invalidation arrives, a read that raced a write never caches the old
// value, and every kind of doubt (a killed or silent invalidation connection, a Redis restart,
// FLUSHALL) empties the cache.
import { createServer } from 'node:http'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { AuthError, createAuth } from '../../src/index.js'
import { type RedisStoreOptions, redisStore } from '../../src/stores/redis/index.js'
import type { TokenStore } from '../../src/stores/types.js'
import { checkOf } from '../helpers.js'
import { type RedisServer, redisServerBin, startRedis } from '../setup/redis.js'
import { startProxy } from './tcp-proxy.js'

const SECRET = 'verdict-cache-secret-at-least-32-bytes-long'
const quiet = () => {}
type Client = RedisStoreOptions['client']
type Kind = 'node-redis' | 'ioredis'
const KINDS: Kind[] = ['node-redis', 'ioredis']

// Servers, clients and stores of the current test, released after it whatever happened.
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(port?: number): Promise<RedisServer> {
  const s = await startRedis(port === undefined ? {} : { port })
  cleanups.push(s.stop)
  return s
}

/** A client that reconnects quickly, as an application's would; closed after the test. */
async function clientOf(kind: Kind, url: string): Promise<Client> {
  if (kind === 'node-redis') {
    const c = createClient({ url, socket: { reconnectStrategy: () => 50 } })
    c.on('error', () => {})
    await c.connect()
    // quit first: commands still in flight finish instead of rejecting after the test; a client
    // whose server is gone cannot quit, so it is destroyed after a second.
    cleanups.push(async () => {
      if (!c.isOpen) return
      const quit = c.quit().then(
        () => true,
        () => false,
      )
      const done = await Promise.race([quit, new Promise<boolean>((r) => setTimeout(() => r(false), 1000))])
      if (!done && c.isOpen) c.destroy()
    })
    return c
  }
  const c = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 })
  c.on('error', () => {})
  cleanups.push(() => c.disconnect())
  return c
}

/** An admin connection for the scene (counting commands, killing clients), not under test. */
async function admin(url: string) {
  const io = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 })
  io.on('error', () => {})
  cleanups.push(() => io.disconnect())
  return io
}

/**
 * The store without its optional session methods, so its auth writes nothing when it issues
 * tokens: every write in these tests is one the test makes, and each one is one invalidation.
 */
function withoutSessions(store: TokenStore): TokenStore {
  return {
    revoke: store.revoke,
    isRevoked: store.isRevoked,
    consume: store.consume,
    setCutoff: store.setCutoff,
    getCutoff: store.getCutoff,
    hit: store.hit,
  }
}

/** One application instance: its own store on `client`, and its auth. */
function instance(client: Client, prefix: string, options: Partial<RedisStoreOptions> = {}) {
  const store = redisStore({ client, prefix, onWarning: quiet, ...options })
  cleanups.push(() => store.close?.())
  const auth = createAuth({ secret: SECRET, store: withoutSessions(store) })
  return { store, auth, stats: () => store.cacheStats() }
}

/** Polls `condition` between turns of the event loop (I/O runs in between) until it holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (err: unknown) => (err instanceof AuthError ? err.code : `thrown: ${String(err)}`),
  )

/** Calls per command since the server started (INFO commandstats). */
async function commandCalls(io: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {}
  for (const m of (await io.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    calls[m[1]!] = Number(m[2])
  return calls
}

const unique = (label: string) => `${label}-${Math.random().toString(36).slice(2)}:`

describe.skipIf(!redisServerBin())('redisStore verdict cache', () => {
  it('answers a known token from the cache: synchronously, and without a single command to Redis', async () => {
    const s = await server()
    const io = await admin(s.url)
    for (const kind of KINDS) {
      const b = instance(await clientOf(kind, s.url), unique(kind))
      const pair = await b.auth.issueTokens({ sub: 'u1' })
      await b.auth.verifyAccessToken(pair.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.verifyAccessToken(pair.accessToken) // cached now, whenever it went live
      const [ids, cutoff] = checkOf(pair.accessToken)
      expect(b.store.isRevoked(ids, cutoff), kind).toBe(false) // a plain boolean, not a promise

      const before = await commandCalls(io)
      const hits = b.stats().hits
      for (let i = 0; i < 1000; i++) await b.auth.verifyAccessToken(pair.accessToken)
      const after = await commandCalls(io)
      const ran = Object.keys(after).filter(
        (name) => after[name]! - (before[name] ?? 0) - (name === 'info' ? 1 : 0) > 0,
      )
      // Only the invalidation connection's heartbeat may have run meanwhile.
      expect(
        ran.filter((name) => name !== 'ping'),
        kind,
      ).toEqual([])
      expect(b.stats().hits - hits, kind).toBe(1000)
    }
  })

  it('a revocation on instance A is rejected by instance B on its very next request after the invalidation arrives — 200 times, with B under load', async () => {
    const s = await server()
    for (const [bKind, aKind] of [
      ['node-redis', 'ioredis'],
      ['ioredis', 'node-redis'],
    ] as const) {
      const prefix = unique('pair')
      const b = instance(await clientOf(bKind, s.url), prefix)
      const a = instance(await clientOf(aKind, s.url), prefix)
      const N = 200
      const pairs = await Promise.all(
        Array.from({ length: N }, (_, i) => a.auth.issueTokens({ sub: `u${i % 7}` })),
      )
      const steady = await Promise.all(
        Array.from({ length: 16 }, (_, i) => a.auth.issueTokens({ sub: `load${i}` })),
      )

      // B serves HTTP; 8 clients keep it busy with tokens nobody revokes.
      const http = createServer((req, res) => {
        b.auth.authenticate({ authorization: req.headers.authorization }).then(
          () => res.writeHead(200).end(),
          (err: AuthError) => res.writeHead(err.status ?? 500).end(),
        )
      })
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
      cleanups.push(() => new Promise((resolve) => http.close(resolve)))
      const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/`
      let loading = true
      const statuses: number[] = []
      const load = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; loading; i++) {
          const token = steady[(w + i) % steady.length]!.accessToken
          const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
          statuses.push(res.status)
        }
      })

      await b.auth.verifyAccessToken(pairs[0]!.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      for (const pair of pairs) {
        const token = pair.accessToken
        const [ids, cutoff] = checkOf(token)
        await b.auth.verifyAccessToken(token)
        expect(b.store.isRevoked(ids, cutoff)).toBe(false) // cached: answered without Redis
        const seen = b.stats().invalidations
        await a.auth.revoke(token)
        await until(() => b.stats().invalidations > seen, 'the invalidation to reach B')
        expect(await outcome(b.auth.verifyAccessToken(token)), `${bKind} B`).toBe('token_revoked')
      }
      loading = false
      await Promise.all(load)
      expect(statuses.length).toBeGreaterThan(N)
      expect(new Set(statuses)).toEqual(new Set([200]))
    }
  }, 60_000)

  it('"log out everywhere" on A reaches B the same way, and B caches the cutoff itself for the tokens that survive it', async () => {
    const s = await server()
    const io = await admin(s.url)
    for (const [bKind, aKind] of [
      ['node-redis', 'ioredis'],
      ['ioredis', 'node-redis'],
    ] as const) {
      const prefix = unique('cut')
      const b = instance(await clientOf(bKind, s.url), prefix)
      const a = instance(await clientOf(aKind, s.url), prefix)
      const old = await a.auth.issueTokens({ sub: 'alice' })
      await b.auth.verifyAccessToken(old.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.verifyAccessToken(old.accessToken)
      const seen = b.stats().invalidations
      await a.auth.revokeSubject('alice')
      await until(() => b.stats().invalidations > seen, 'the invalidation to reach B')
      expect(await outcome(b.auth.verifyAccessToken(old.accessToken))).toBe('token_revoked')

      // A token issued after the cutoff: the first check reads the cutoff, later ones are hits.
      const fresh = await a.auth.issueTokens({ sub: 'alice' })
      await b.auth.verifyAccessToken(fresh.accessToken)
      const [ids, cutoff] = checkOf(fresh.accessToken)
      await until(() => typeof b.store.isRevoked(ids, cutoff) === 'boolean', 'the cutoff to be cached')
      const mget = (await commandCalls(io)).mget ?? 0
      for (let i = 0; i < 100; i++) await b.auth.verifyAccessToken(fresh.accessToken)
      await expect(b.auth.verifyAccessToken(old.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })
      expect((await commandCalls(io)).mget ?? 0, bKind).toBe(mget)
    }
  })

  it('never caches a read that left before a write and came back after its invalidation', async () => {
    const s = await server()
    const io = await admin(s.url)
    for (const kind of KINDS) {
      // B's client goes through a proxy that can hold its replies; its invalidation connection too,
      // but only the first connection (the client's own) is held.
      const proxy = await startProxy(`redis://${s.host}:${s.port}`)
      cleanups.push(() => proxy.close())
      const prefix = unique('race')
      const b = instance(await clientOf(kind, proxy.url), prefix)
      const a = instance(await clientOf('ioredis', s.url), prefix)
      const warm = await a.auth.issueTokens({ sub: 'w' })
      await b.auth.verifyAccessToken(warm.accessToken)
      await until(() => b.stats().live, 'the cache to go live')

      const pair = await a.auth.issueTokens({ sub: 'u1' })
      const mget = (await commandCalls(io)).mget ?? 0
      proxy.connections[0]!.hold()
      const first = outcome(b.auth.verifyAccessToken(pair.accessToken))
      // The MGET has run on the server (before the revocation), its answer is on its way…
      await until(async () => ((await commandCalls(io)).mget ?? 0) > mget, 'the MGET to run')
      const seen = b.stats().invalidations
      await a.auth.revoke(pair.accessToken)
      // …and arrives after the invalidation did.
      await until(() => b.stats().invalidations > seen, 'the invalidation to reach B')
      proxy.connections[0]!.release()
      expect(await first, kind).toBe('ok') // true when it was read
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken)), kind).toBe('token_revoked')

      // The control: the same held read with no write in between is cached.
      const other = await a.auth.issueTokens({ sub: 'u2' })
      proxy.connections[0]!.hold()
      const second = outcome(b.auth.verifyAccessToken(other.accessToken))
      await new Promise((resolve) => setTimeout(resolve, 20))
      proxy.connections[0]!.release()
      expect(await second).toBe('ok')
      const [ids, cutoff] = checkOf(other.accessToken)
      expect(b.store.isRevoked(ids, cutoff), kind).toBe(false)
    }
  })

  it('own writes leave the cache at once: revoke and setCutoff through the same store', async () => {
    const s = await server()
    for (const kind of KINDS) {
      const b = instance(await clientOf(kind, s.url), unique('own'))
      const pair = await b.auth.issueTokens({ sub: 'u1' })
      await b.auth.verifyAccessToken(pair.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.verifyAccessToken(pair.accessToken)
      await b.auth.revoke(pair.accessToken)
      await expect(b.auth.verifyAccessToken(pair.accessToken)).rejects.toMatchObject({
        code: 'token_revoked',
      })
      const other = await b.auth.issueTokens({ sub: 'u2' })
      await b.auth.verifyAccessToken(other.accessToken)
      await b.auth.verifyAccessToken(other.accessToken)
      await b.auth.revokeSubject('u2')
      await expect(b.auth.verifyAccessToken(other.accessToken)).rejects.toMatchObject({
        code: 'token_revoked',
      })
    }
  })

  it('a killed invalidation connection (CLIENT KILL) empties the cache: a revocation B could not hear about is still seen', async () => {
    for (const kind of KINDS) {
      const s = await server()
      const io = await admin(s.url)
      const prefix = unique('kill')
      const b = instance(await clientOf(kind, s.url), prefix)
      const a = instance(await clientOf('ioredis', s.url), prefix, { cache: false })
      const pair = await a.auth.issueTokens({ sub: 'u1' })
      await b.auth.verifyAccessToken(pair.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.verifyAccessToken(pair.accessToken)
      expect(b.stats().entries).toBeGreaterThan(0)
      const flushes = b.stats().flushes

      const list = String(await io.call('CLIENT', 'LIST'))
      const ids = [...list.matchAll(/^id=(\d+) .*name=tokenward-invalidations /gm)].map((m) => m[1]!)
      expect(ids).toHaveLength(1)
      await io.call('CLIENT', 'KILL', 'ID', ids[0]!)
      await until(() => !b.stats().live, 'B to notice')
      expect(b.stats()).toMatchObject({ entries: 0, flushes: flushes + 1 })

      // Nobody can tell B now; B asks Redis instead of its (empty) cache.
      await a.auth.revoke(pair.accessToken)
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken)), kind).toBe('token_revoked')
      // The next reads bring a new connection up.
      await until(async () => {
        await b.auth.verifyAccessToken((await a.auth.issueTokens({ sub: 'u2' })).accessToken)
        return b.stats().live
      }, 'the cache to come back')
      await io.call('CLIENT', 'KILL', 'ID', ids[0]!).catch(() => {}) // the old id is gone for good
    }
  })

  it('a silently dead invalidation connection (no close, nothing flows) stops the cache within heartbeat + timeoutMs', async () => {
    const s = await server()
    for (const kind of KINDS) {
      const proxy = await startProxy(`redis://${s.host}:${s.port}`)
      cleanups.push(() => proxy.close())
      const prefix = unique('silent')
      const b = instance(await clientOf(kind, proxy.url), prefix, { timeoutMs: 200 })
      const a = instance(await clientOf('ioredis', s.url), prefix, { cache: false })
      const pair = await a.auth.issueTokens({ sub: 'u1' })
      await b.auth.verifyAccessToken(pair.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.verifyAccessToken(pair.accessToken)
      // Connection 0 is B's client; the invalidation connection came later.
      expect(proxy.connections.length).toBeGreaterThanOrEqual(2)
      for (const c of proxy.connections.slice(1)) c.blackhole()
      const cut = performance.now()
      await a.auth.revoke(pair.accessToken) // B will never hear of it
      await until(
        async () => (await outcome(b.auth.verifyAccessToken(pair.accessToken))) === 'token_revoked',
        'B to stop trusting its cache',
      )
      // The heartbeat runs every 250 ms and waits timeoutMs (200) for its answer (plus slack for a
      // busy machine: the point is a bound, where a cache without a heartbeat would never notice).
      expect(performance.now() - cut, kind).toBeLessThan(250 + 200 + 1000)
      expect(b.stats().live).toBe(false)
    }
  })

  it('a Redis killed and restarted never lets B serve a cached "not revoked" for a token revoked after the restart', async () => {
    for (const kind of KINDS) {
      const first = await startRedis()
      let current = first
      cleanups.push(() => current.stop())
      const prefix = unique('restart')
      const b = instance(await clientOf(kind, first.url), prefix)
      const pair = await b.auth.issueTokens({ sub: 'u1' })
      const busy = await b.auth.issueTokens({ sub: 'u2' })
      await b.auth.verifyAccessToken(pair.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.verifyAccessToken(pair.accessToken)
      expect(b.stats().entries).toBeGreaterThan(0)

      // Quiet B: nothing happens on B between the crash and the revocation.
      await first.stop()
      await until(() => !b.stats().live, 'B to notice the crash')
      expect(b.stats().entries).toBe(0)
      current = await startRedis(first.port) // empty: no persistence
      const c = instance(await clientOf('ioredis', current.url), prefix, { cache: false })
      await c.auth.revoke(pair.accessToken)
      const answers: string[] = []
      await until(async () => {
        answers.push(await outcome(b.auth.verifyAccessToken(pair.accessToken)))
        return answers.at(-1) === 'token_revoked'
      }, 'B to reconnect')
      expect(
        answers.filter((x) => x !== 'store_unavailable' && x !== 'token_revoked'),
        kind,
      ).toEqual([])
      await until(async () => {
        await b.auth.verifyAccessToken(busy.accessToken)
        return b.stats().live
      }, 'the cache to come back')
      for (let i = 0; i < 20; i++)
        expect(await outcome(b.auth.verifyAccessToken(pair.accessToken)), kind).toBe('token_revoked')

      // Busy B: requests all through the next crash; the revocation comes after the restart.
      const pair2 = await c.auth.issueTokens({ sub: 'u3' })
      await b.auth.verifyAccessToken(pair2.accessToken)
      await b.auth.verifyAccessToken(pair2.accessToken)
      let revokedAt = Number.POSITIVE_INFINITY
      let arrived = false
      const after: string[] = []
      let running = true
      const hammer = (async () => {
        while (running) {
          const answer = await outcome(b.auth.verifyAccessToken(pair2.accessToken))
          if (arrived) after.push(answer)
          await new Promise((resolve) => setImmediate(resolve))
        }
      })()
      await current.stop()
      current = await startRedis(first.port)
      const c2 = instance(await clientOf('ioredis', current.url), prefix, { cache: false })
      const seen = b.stats().invalidations
      await c2.auth.revoke(pair2.accessToken)
      revokedAt = performance.now()
      // Either B's cache is down (it asks Redis), or it is up and the invalidation has arrived.
      await until(() => !b.stats().live || b.stats().invalidations > seen, 'B to hear of it')
      arrived = true
      await until(() => after.includes('token_revoked'), 'B to reject the token')
      running = false
      await hammer
      expect(revokedAt).toBeLessThan(Number.POSITIVE_INFINITY)
      expect(
        after.filter((x) => x !== 'store_unavailable' && x !== 'token_revoked'),
        kind,
      ).toEqual([])
      await current.stop()
    }
  }, 60_000)

  it('a cached revocation or cutoff leaves with its key (PEXPIRETIME), not when Redis gets round to deleting it', async () => {
    const s = await server()
    for (const kind of KINDS) {
      const b = instance(await clientOf(kind, s.url), unique('exp'))
      const warm = await b.auth.issueTokens({ sub: 'w' })
      await b.auth.verifyAccessToken(warm.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      const until1s = Math.ceil(Date.now() / 1000) + 1
      await b.store.revoke('jti-1', until1s, 'u1')
      await b.store.setCutoff('u2', Date.now() / 1000, until1s)
      const revoked = () => b.store.isRevoked(['jti-1'], { subject: 'u1', issuedAt: 0 })
      const cut = () => b.store.isRevoked(['jti-2'], { subject: 'u2', issuedAt: 0 })
      await revoked()
      await cut()
      // Both verdicts come from the cache now (present values wait for their expiry time first).
      await until(() => revoked() === true && cut() === true, 'the verdicts to be cached')
      await new Promise((resolve) => setTimeout(resolve, until1s * 1000 - Date.now() + 5))
      expect(await revoked(), kind).toBe(false)
      expect(await cut(), kind).toBe(false)
    }
  })

  it('FLUSHALL empties the cache', async () => {
    const s = await server()
    const io = await admin(s.url)
    for (const kind of KINDS) {
      const prefix = unique('flush')
      const b = instance(await clientOf(kind, s.url), prefix)
      const pair = await b.auth.issueTokens({ sub: 'u1' })
      await b.auth.verifyAccessToken(pair.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.verifyAccessToken(pair.accessToken)
      expect(b.stats().entries).toBeGreaterThan(0)
      await io.flushall()
      await until(() => b.stats().entries === 0, 'the flush to reach B')
    }
  })

  it('holds at most maxEntries keys, and still answers right for every token', async () => {
    const s = await server()
    for (const kind of KINDS) {
      const b = instance(await clientOf(kind, s.url), unique('bound'), { cache: { maxEntries: 10 } })
      const pairs = await Promise.all(
        Array.from({ length: 40 }, (_, i) => b.auth.issueTokens({ sub: `u${i}` })),
      )
      await b.auth.verifyAccessToken(pairs[0]!.accessToken)
      await until(() => b.stats().live, 'the cache to go live')
      await b.auth.revoke(pairs[3]!.accessToken)
      for (let round = 0; round < 3; round++)
        for (const [i, pair] of pairs.entries()) {
          expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe(
            i === 3 ? 'token_revoked' : 'ok',
          )
          expect(b.stats().entries).toBeLessThanOrEqual(10)
        }
    }
  })

  it('cache: false asks Redis every time; options are checked', async () => {
    const s = await server()
    const b = instance(await clientOf('node-redis', s.url), unique('off'), { cache: false })
    const pair = await b.auth.issueTokens({ sub: 'u1' })
    for (let i = 0; i < 5; i++) await b.auth.verifyAccessToken(pair.accessToken)
    expect(b.stats()).toMatchObject({ enabled: false, live: false, hits: 0 })
    const [ids, cutoff] = checkOf(pair.accessToken)
    expect(b.store.isRevoked(ids, cutoff)).toBeInstanceOf(Promise)

    const client = await clientOf('node-redis', s.url)
    expect(() => redisStore({ client, cache: { maxEntrys: 5 } as never })).toThrow(
      'unknown option `maxEntrys` in redisStore `cache` — did you mean `maxEntries`?',
    )
    expect(() => redisStore({ client, cache: { maxEntries: 0 } })).toThrow(
      '`cache.maxEntries` must be a whole number from 1',
    )
    expect(() => redisStore({ client, cache: { maxEntries: Number.NaN } })).toThrow(
      '`cache.maxEntries` must be a whole number from 1',
    )
    expect(() => redisStore({ client, cache: 'yes' as never })).toThrow(
      'true, false or { maxEntries, maxAgeMs }',
    )
  })

  it('stays off, and says why once, where Redis will not track (CLIENT disabled); the answers stay right', async () => {
    const s = await startRedis({ config: { 'rename-command': ['CLIENT', ''] } })
    cleanups.push(s.stop)
    for (const kind of KINDS) {
      const warnings: string[] = []
      const store = redisStore({ client: await clientOf(kind, s.url), onWarning: (m) => warnings.push(m) })
      cleanups.push(() => store.close?.())
      const auth = createAuth({ secret: SECRET, store: withoutSessions(store) })
      const pair = await auth.issueTokens({ sub: 'u1' })
      await auth.verifyAccessToken(pair.accessToken)
      await until(() => warnings.some((w) => w.includes('verdict cache is off')), 'the warning')
      for (let i = 0; i < 10; i++) await auth.verifyAccessToken(pair.accessToken)
      await auth.revoke(pair.accessToken)
      await expect(auth.verifyAccessToken(pair.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })
      expect(store.cacheStats()).toMatchObject({ live: false, hits: 0 })
      expect(warnings.filter((w) => w.includes('verdict cache'))).toHaveLength(1)
    }
  })

  it('stores on one client and prefix share one invalidation connection; close() releases it', async () => {
    const s = await server()
    const io = await admin(s.url)
    const client = await clientOf('node-redis', s.url)
    const trackers = async () =>
      [...String(await io.call('CLIENT', 'LIST')).matchAll(/name=tokenward-invalidations /g)].length
    const stores = Array.from({ length: 5 }, () =>
      redisStore({ client, prefix: 'shared:', onWarning: quiet }),
    )
    const auth = createAuth({ secret: SECRET, store: withoutSessions(stores[0]!) })
    const pair = await auth.issueTokens({ sub: 'u1' })
    for (const store of stores) await store.isRevoked(...checkOf(pair.accessToken))
    await until(() => stores[0]!.cacheStats().live, 'the cache to go live')
    expect(await trackers()).toBe(1)
    for (const store of stores) await store.close?.()
    await until(async () => (await trackers()) === 0, 'the connection to close')
  })
})

describe.skipIf(!inject('redisCluster'))('redisStore verdict cache on Redis Cluster', () => {
  it('is off on a cluster (both clients), and an explicit cache: true says so once', async () => {
    const nodes = inject('redisCluster')!
    const { createCluster } = await import('redis')
    const { Cluster } = await import('ioredis')
    const nodeRedis = createCluster({ rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })) })
    nodeRedis.on('error', () => {})
    await nodeRedis.connect()
    const ioredis = new Cluster(nodes)
    ioredis.on('error', () => {})
    try {
      for (const client of [nodeRedis, ioredis] as Client[]) {
        const warnings: string[] = []
        const implicit = redisStore({ client, onWarning: (m) => warnings.push(m), prefix: unique('cl') })
        const explicit = redisStore({
          client,
          cache: true,
          onWarning: (m) => warnings.push(m),
          prefix: unique('cl'),
        })
        await implicit.isRevoked(['x'], { subject: 'u', issuedAt: 0 })
        expect(implicit.cacheStats().enabled).toBe(false)
        expect(explicit.cacheStats().enabled).toBe(false)
        expect(warnings.filter((w) => w.includes('verdict cache is off'))).toHaveLength(1)
      }
    } finally {
      await nodeRedis.close()
      ioredis.disconnect()
    }
  })
})
