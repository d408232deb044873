// How redisStore treats the server it is given: an evicting maxmemory-policy (refused unless
// allowed), no persistence (one warning), memory full under noeviction, a read-only replica, and
// a server that does not answer in time. Every test starts its own redis-server, because each
// one changes the server's configuration or state.
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthError, createAuth } from '../../src/index.js'
import { type RedisStoreOptions, redisStore } from '../../src/stores/redis/index.js'
import type { TokenStore } from '../../src/stores/types.js'
import { type RedisServer, redisServerBin, type StartRedisOptions, startRedis } from '../setup/redis.js'

const SECRET = 'server-checks-secret-at-least-32-bytes-long'
const quiet = () => {}
const inAMinute = () => Date.now() / 1000 + 60

type Client = RedisStoreOptions['client']

// Servers and clients of the current test, released after it whatever happened.
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(options: StartRedisOptions = {}): Promise<RedisServer> {
  const s = await startRedis(options)
  cleanups.push(s.stop)
  return s
}

/** A node-redis and an ioredis client on `url`, closed after the test. */
async function clientsOf(url: string): Promise<[string, Client][]> {
  const nr = createClient({ url, socket: { reconnectStrategy: false } })
  nr.on('error', () => {})
  await nr.connect()
  const io = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  io.on('error', () => {})
  cleanups.push(
    () => nr.destroy(),
    () => io.disconnect(),
  )
  return [
    ['node-redis', nr],
    ['ioredis', io],
  ]
}

/** The node-redis client of {@link clientsOf}. */
async function oneClient(url: string): Promise<Client> {
  return (await clientsOf(url))[0]![1]
}

/** An admin connection for setting up the scene (not the client under test). */
async function admin(url: string) {
  const io = new Redis(url, { maxRetriesPerRequest: 0 })
  io.on('error', () => {})
  cleanups.push(() => io.disconnect())
  return io
}

/** Every store method, with arguments that write (or read) one entry. */
const everyCall = (store: TokenStore) => ({
  revoke: () => store.revoke('jti-1', inAMinute(), 'u1'),
  isRevoked: () => Promise.resolve(store.isRevoked(['jti-1'], { subject: 'u1', issuedAt: 0 })),
  consume: () => store.consume('jti-2', inAMinute(), 'u1'),
  setCutoff: () => store.setCutoff('u1', Date.now() / 1000, inAMinute()),
  getCutoff: () => store.getCutoff('u1'),
  hit: () => store.hit('login:user:u1', 60),
  hitRead: () => store.hit('login:user:u1', 60, 0),
  saveSession: () =>
    store.saveSession!({
      id: 'fid-1',
      subject: 'u1',
      createdAt: Date.now() / 1000,
      lastUsedAt: Date.now() / 1000,
      expiresAt: inAMinute(),
      userAgent: null,
      address: null,
    }),
  listSessions: () => store.listSessions!('u1'),
  listSessionsPage: () => store.listSessions!('u1', { limit: 10 }),
  getSession: () => store.getSession!('u1', 'fid-1'),
  deleteSessions: () => store.deleteSessions!('u1'),
  spendRefresh: () =>
    store.spendRefresh!({
      family: 'fid-2',
      generation: 0,
      subject: 'u1',
      ids: ['jti-3', 'fid-2'],
      issuedAt: Date.now() / 1000,
      expiresAt: inAMinute(),
      now: Date.now(),
      graceSeconds: 10,
      graceRetries: 2,
    }),
  spentGeneration: () => store.spentGeneration!('fid-2', 'u1'),
})

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
    },
    (err: unknown) => err as Error,
  )

describe.skipIf(!redisServerBin())('redisStore and the server it is given', () => {
  describe('eviction policy', () => {
    it('refuses every call on a server with maxmemory-policy allkeys-lru, naming the policy and the fix, and writes nothing', async () => {
      const s = await server({ config: { 'maxmemory-policy': 'allkeys-lru' } })
      for (const [name, client] of await clientsOf(s.url)) {
        const store = redisStore({ client, onWarning: quiet })
        for (const [method, call] of Object.entries(everyCall(store))) {
          const err = await errorOf(call())
          expect(err.message, `${name} ${method}`).toContain('maxmemory-policy "allkeys-lru"')
          expect(err.message, `${name} ${method}`).toContain('CONFIG SET maxmemory-policy noeviction')
          expect(err.message, `${name} ${method}`).toContain('allowEviction')
        }
        await expect(store.ready()).rejects.toThrow('allkeys-lru')
        // Through the core: fail closed, 503 — a login (its session record) and a token minted elsewhere.
        const auth = createAuth({ secret: SECRET, store })
        await expect(auth.issueTokens({ sub: 'u1' })).rejects.toMatchObject({ code: 'store_unavailable' })
        const pair = await createAuth({ secret: SECRET }).issueTokens({ sub: 'u1' })
        const err = await errorOf(auth.verifyAccessToken(pair.accessToken))
        expect(err).toBeInstanceOf(AuthError)
        expect(err).toMatchObject({ code: 'store_unavailable', status: 503 })
      }
      // The check ran before the first command: nothing reached the keyspace.
      expect(await (await admin(s.url)).dbsize()).toBe(0)
    })

    it('refuses every allkeys-* and volatile-* policy', async () => {
      const s = await server({ config: { 'maxmemory-policy': 'allkeys-lru' } })
      const io = await admin(s.url)
      const client = await oneClient(s.url)
      for (const policy of [
        'allkeys-lfu',
        'allkeys-random',
        'volatile-lru',
        'volatile-lfu',
        'volatile-random',
        'volatile-ttl',
      ]) {
        await io.config('SET', 'maxmemory-policy', policy)
        const store = redisStore({ client: client, onWarning: quiet })
        await expect(store.revoke('jti', inAMinute(), 'u1')).rejects.toThrow(`maxmemory-policy "${policy}"`)
      }
      await io.config('SET', 'maxmemory-policy', 'noeviction')
      await redisStore({ client: client, onWarning: quiet }).revoke('jti', inAMinute(), 'u1')
    })

    it('works with allowEviction: true, and says so once through onWarning', async () => {
      const s = await server({ config: { 'maxmemory-policy': 'allkeys-lru' } })
      for (const [name, client] of await clientsOf(s.url)) {
        const warnings: string[] = []
        const store = redisStore({ client, allowEviction: true, onWarning: (m) => warnings.push(m) })
        const auth = createAuth({ secret: SECRET, store })
        const pair = await auth.issueTokens({ sub: `u-${name}` })
        await auth.verifyAccessToken(pair.accessToken)
        await auth.revoke(pair.accessToken)
        await expect(auth.verifyAccessToken(pair.accessToken)).rejects.toMatchObject({
          code: 'token_revoked',
        })
        for (const call of Object.values(everyCall(store))) await call()
        expect(warnings.filter((w) => w.includes('allkeys-lru'))).toHaveLength(1)
      }
    })

    it('reads the policy from INFO where CONFIG is disabled (managed Redis)', async () => {
      const evicting = await server({
        config: { 'maxmemory-policy': 'volatile-lru', 'rename-command': ['CONFIG', ''] },
      })
      for (const [, client] of await clientsOf(evicting.url)) {
        await expect(redisStore({ client, onWarning: quiet }).hit('k', 60)).rejects.toThrow(
          'maxmemory-policy "volatile-lru"',
        )
      }
      const fine = await server({ config: { 'rename-command': ['CONFIG', ''] } })
      for (const [, client] of await clientsOf(fine.url)) {
        const warnings: string[] = []
        const store = redisStore({ client, onWarning: (m) => warnings.push(m) })
        expect(await store.hit('k', 60)).toBeGreaterThan(0)
        // Without CONFIG the RDB schedule is unknown: no warning rather than a false one.
        expect(warnings).toEqual([])
      }
    })

    it('checks again after a refusal, so fixing the server needs no restart', async () => {
      const s = await server({ config: { 'maxmemory-policy': 'allkeys-lru' } })
      const client = await oneClient(s.url)
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        const store = redisStore({ client: client, onWarning: quiet })
        await expect(store.ready()).rejects.toThrow('allkeys-lru')
        await (await admin(s.url)).config('SET', 'maxmemory-policy', 'noeviction')
        // The refusal is remembered for a while (no check per request on a broken server)…
        await expect(store.revoke('jti', Date.now() / 1000 + 60)).rejects.toThrow('allkeys-lru')
        // …then checked again.
        vi.setSystemTime(Date.now() + 11_000)
        await store.revoke('jti', Date.now() / 1000 + 60)
        expect(await store.isRevoked(['jti'])).toBe(true)
      } finally {
        vi.useRealTimers()
      }
    })
  })

  describe('persistence', () => {
    it('warns once when the server persists nothing (no AOF, no RDB)', async () => {
      const s = await server() // save '' and appendonly no
      for (const [, client] of await clientsOf(s.url)) {
        const warnings: string[] = []
        const store = redisStore({ client, onWarning: (m) => warnings.push(m) })
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.revoke(`jti-${i}`, inAMinute())))
        for (const call of Object.values(everyCall(store))) await call()
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain('a restart forgets every revocation')
        expect(warnings[0]).toContain('appendonly yes')
      }
    })

    it('goes to console.warn by default', async () => {
      const s = await server()
      const client = await oneClient(s.url)
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        await redisStore({ client: client }).ready()
        expect(warn).toHaveBeenCalledTimes(1)
        expect(String(warn.mock.calls[0]![0])).toContain('persists nothing')
      } finally {
        warn.mockRestore()
      }
    })

    it('does not warn when AOF or RDB is on', async () => {
      const { mkdtemp, rm } = await import('node:fs/promises')
      const { join } = await import('node:path')
      const { tmpdir } = await import('node:os')
      const dir = await mkdtemp(join(tmpdir(), 'tokenward-persist-'))
      cleanups.push(() => rm(dir, { recursive: true, force: true }))
      const aof = await server({ config: { appendonly: 'yes', appendfsync: 'everysec', dir } })
      const rdb = await server({ config: { save: '3600 1', dir } })
      for (const s of [aof, rdb]) {
        for (const [, client] of await clientsOf(s.url)) {
          const warnings: string[] = []
          await redisStore({ client, onWarning: (m) => warnings.push(m) }).ready()
          expect(warnings).toEqual([])
        }
      }
    })
  })

  describe('memory pressure', () => {
    /**
     * Lowers maxmemory to a little above what is used now, then writes filler until Redis is full:
     * with `untilOom`, until even a tiny write is refused (big chunks first, then smaller ones, so
     * no small write squeezes in later); else until `stop()` says so.
     */
    async function fill(url: string, { untilOom }: { untilOom: boolean }, stop?: () => Promise<boolean>) {
      const io = await admin(url)
      const used = Number(/used_memory:(\d+)/.exec(await io.info('memory'))![1])
      await io.config('SET', 'maxmemory', String(used + 2 * 1024 * 1024))
      let i = 0
      for (const size of untilOom ? [64 * 1024, 1024, 16] : [64 * 1024]) {
        const chunk = 'x'.repeat(size)
        for (;;) {
          if (i++ > 5000) throw new Error('filled Redis without reaching the condition')
          try {
            await io.set(`filler:${i}`, chunk)
          } catch (err) {
            if (untilOom && /OOM/.test(String(err))) break
            throw err
          }
          if (stop && i % 10 === 0 && (await stop())) return
        }
      }
      if (untilOom) await expect(io.set('one-more', '1')).rejects.toThrow(/OOM/)
    }

    it('under noeviction a revoked token stays revoked when Redis is full, and every write fails closed (503)', async () => {
      const s = await server()
      const clients = await clientsOf(s.url)
      const setups = await Promise.all(
        clients.map(async ([name, client]) => {
          const store = redisStore({ client, onWarning: quiet, prefix: `${name}:` })
          const auth = createAuth({ secret: SECRET, store })
          const revoked = await auth.issueTokens({ sub: 'u1' })
          await auth.revoke(revoked.accessToken)
          const live = await auth.issueTokens({ sub: 'u2' })
          const ott = await auth.issueOneTimeToken('password_reset', 'u3')
          return { name, store, auth, revoked, live, ott }
        }),
      )
      await fill(s.url, { untilOom: true })
      for (const { name, store, auth, revoked, live, ott } of setups) {
        // Reads still work: the revocation is still there and still enforced.
        await expect(auth.verifyAccessToken(revoked.accessToken), name).rejects.toMatchObject({
          code: 'token_revoked',
        })
        await auth.verifyAccessToken(live.accessToken)
        // Writes are refused with OOM: the store rejects, the core answers 503.
        for (const attempt of [
          () => auth.revoke(live.accessToken),
          () => auth.refresh(live.refreshToken),
          () => auth.revokeSubject('u2'),
          () => auth.consumeOneTimeToken(ott, 'password_reset'),
        ]) {
          const err = await errorOf(attempt())
          expect(err, name).toBeInstanceOf(AuthError)
          expect(err, name).toMatchObject({ code: 'store_unavailable', status: 503 })
          expect(String((err as AuthError).cause), name).toMatch(/OOM/)
        }
        // Straight to the store: a refused write never resolves as an answer.
        await expect(store.consume('jti-x', inAMinute(), 'u1'), name).rejects.toThrow(/OOM/)
        await expect(store.hit('login:user:u1', 60), name).rejects.toThrow(/OOM/)
        await expect(store.revoke('jti-y', inAMinute(), 'u1'), name).rejects.toThrow(/OOM/)
        await expect(store.setCutoff('u1', Date.now() / 1000, inAMinute()), name).rejects.toThrow(/OOM/)
      }
    })

    it('under allkeys-lru (allowEviction) filling Redis brings a revoked token back — why the default refuses', async () => {
      const s = await server({ config: { 'maxmemory-policy': 'allkeys-lru' } })
      const client = await oneClient(s.url)
      const auth = createAuth({
        secret: SECRET,
        store: redisStore({ client: client, allowEviction: true, onWarning: quiet }),
      })
      const pair = await auth.issueTokens({ sub: 'u1' })
      await auth.revoke(pair.accessToken)
      await expect(auth.verifyAccessToken(pair.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })
      const valid = () =>
        auth.verifyAccessToken(pair.accessToken).then(
          () => true,
          () => false,
        )
      await fill(s.url, { untilOom: false }, valid)
      expect(await valid()).toBe(true)
    })
  })

  it('rejects writes a read-only replica refuses (READONLY), never resolving them', async () => {
    const primary = await server()
    const replica = await server({ config: { replicaof: ['127.0.0.1', String(primary.port)] } })
    for (const [name, client] of await clientsOf(replica.url)) {
      const store = redisStore({ client, onWarning: quiet })
      for (const write of [
        () => store.revoke('jti-1', inAMinute(), 'u1'),
        () => store.consume('jti-2', inAMinute(), 'u1'),
        () => store.setCutoff('u1', Date.now() / 1000, inAMinute()),
        () => store.hit('login:user:u1', 60),
      ])
        await expect(write(), name).rejects.toThrow(/READONLY/)
      const auth = createAuth({ secret: SECRET, store })
      // A login writes its session record: refused too.
      await expect(auth.issueTokens({ sub: 'u1' }), name).rejects.toMatchObject({ code: 'store_unavailable' })
      const pair = await createAuth({ secret: SECRET }).issueTokens({ sub: 'u1' })
      await expect(auth.refresh(pair.refreshToken), name).rejects.toMatchObject({ code: 'store_unavailable' })
      await expect(auth.revoke(pair.accessToken), name).rejects.toMatchObject({ code: 'store_unavailable' })
    }
  })

  describe('timeouts', () => {
    it('rejects within timeoutMs when Redis holds writes (CLIENT PAUSE … WRITE), and the core answers 503', async () => {
      const s = await server()
      const clients = await clientsOf(s.url)
      const stores = clients.map(([name, client]) => ({
        name,
        store: redisStore({ client, timeoutMs: 200, onWarning: quiet }),
      }))
      for (const { store } of stores) await store.ready()
      await (await admin(s.url)).call('CLIENT', 'PAUSE', '1500', 'WRITE')
      await Promise.all(
        stores.map(async ({ name, store }) => {
          for (const write of [
            () => store.consume('jti-1', inAMinute(), 'u1'),
            () => store.revoke('jti-2', inAMinute(), 'u1'),
            () => store.hit('login:user:u1', 60),
          ]) {
            const started = performance.now()
            const err = await errorOf(write())
            const elapsed = performance.now() - started
            expect(err.message, name).toContain('did not answer within 200 ms')
            expect(elapsed, name).toBeGreaterThanOrEqual(195)
            // Far below the 1500 ms pause: the store gave up on its own (slack for a busy CI machine).
            expect(elapsed, name).toBeLessThan(700)
          }
          // The held writes still sit on the connection, so the refresh's check waits behind them.
          const auth = createAuth({ secret: SECRET, store })
          const pair = await createAuth({ secret: SECRET }).issueTokens({ sub: 'u1' })
          await expect(auth.refresh(pair.refreshToken), name).rejects.toMatchObject({
            code: 'store_unavailable',
            status: 503,
          })
        }),
      )
    })

    it('bounds the first call, server check included, by timeoutMs (CLIENT PAUSE … ALL)', async () => {
      const s = await server()
      const clients = await clientsOf(s.url)
      await (await admin(s.url)).call('CLIENT', 'PAUSE', '1000', 'ALL')
      await Promise.all(
        clients.map(async ([name, client]) => {
          const store = redisStore({ client, timeoutMs: 200, onWarning: quiet })
          const started = performance.now()
          const err = await errorOf(Promise.resolve(store.isRevoked(['jti'], { subject: 'u1', issuedAt: 0 })))
          expect(err.message, name).toContain('did not answer within 200 ms')
          expect(performance.now() - started, name).toBeLessThan(700)
        }),
      )
    })
  })
})
