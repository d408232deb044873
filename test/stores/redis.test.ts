import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { AuthError, createAuth } from '../../src/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import { runTokenStoreConformance } from '../../src/testing/index.js'
import { startRedis } from '../setup/redis.js'

const url = inject('redisUrl')
const SECRET = 'redis-test-secret-at-least-32-bytes-long'
const runId = Math.random().toString(36).slice(2)
// The shared test server persists nothing; redis-server-checks.test.ts tests that warning.
const quiet = () => {}

describe.skipIf(!url)('redisStore', () => {
  const nodeRedis = createClient({ url: url! })
  nodeRedis.on('error', () => {})
  const ioredis = new Redis(url!, { lazyConnect: false })
  ioredis.on('error', () => {})
  const ready = nodeRedis.connect()
  afterAll(async () => {
    await nodeRedis.quit()
    ioredis.disconnect()
  })

  runTokenStoreConformance(
    async () => {
      await ready
      return redisStore({ client: nodeRedis, prefix: `tw-test:${runId}:nr:`, onWarning: quiet })
    },
    { name: 'redisStore (node-redis) conformance' },
  )
  runTokenStoreConformance(
    () => redisStore({ client: ioredis, prefix: `tw-test:${runId}:io:`, onWarning: quiet }),
    {
      name: 'redisStore (ioredis) conformance',
    },
  )

  it('gives every key a TTL no later than the expiry it protects, under one hash tag per subject', async () => {
    await ready
    const prefix = `tw-test:${runId}:ttl:`
    const store = redisStore({ client: nodeRedis, prefix, onWarning: quiet })
    const exp = Math.floor(Date.now() / 1000) + 120
    await store.revoke('jti-1', exp, 'user-1')
    await store.revoke('fid-1', exp + 60, 'user-1')
    await store.consume('jti-2', exp, 'user-1')
    await store.setCutoff('user-1', Date.now() / 1000, exp)
    const keys = (await nodeRedis.keys(`${prefix}*`)) as string[]
    expect(keys).toHaveLength(4)
    const tags = new Set(keys.map((k) => /\{([^}]*)\}/.exec(k)![1]))
    expect(tags.size).toBe(1)
    for (const k of keys) {
      const pttl = await nodeRedis.pTTL(k)
      expect(pttl).toBeGreaterThan(0)
      expect(Date.now() + pttl).toBeLessThanOrEqual((exp + 60) * 1000 + 50)
    }
  })

  it('checks token, family and cutoff in ONE command', async () => {
    await ready
    const sent: string[][] = []
    const counting = {
      sendCommand: (args: string[]) => {
        sent.push(args)
        return nodeRedis.sendCommand(args)
      },
    }
    const store = redisStore({ client: counting, prefix: `tw-test:${runId}:rt:`, onWarning: quiet })
    const auth = createAuth({ secret: SECRET, store })
    const pair = await auth.issueTokens({ sub: 'u1' })
    await store.ready() // the once-per-store server check is not on the request path
    sent.length = 0
    await auth.verifyAccessToken(pair.accessToken)
    await auth.verifyAccessToken(pair.accessToken)
    expect(sent).toHaveLength(2)
    // One MGET of the access token's id, its family and the subject's cutoff.
    expect(sent.every((args) => args[0] === 'MGET' && args.length === 4)).toBe(true)
  })

  it('enforces revocation and reuse across two instances, and one winner of 50 concurrent refreshes', async () => {
    await ready
    const prefix = `tw-test:${runId}:two:`
    // Strict reuse detection (no grace for a retried refresh), so exactly one may win the race.
    const a = createAuth({
      secret: SECRET,
      reuseGrace: 0,
      store: redisStore({ client: nodeRedis, prefix, onWarning: quiet }),
    })
    const b = createAuth({
      secret: SECRET,
      reuseGrace: 0,
      store: redisStore({ client: ioredis, prefix, onWarning: quiet }),
    })
    const p1 = await a.issueTokens({ sub: 'u1' })
    await b.verifyAccessToken(p1.accessToken)
    await a.revoke(p1.accessToken)
    await expect(b.verifyAccessToken(p1.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })

    const p2 = await a.issueTokens({ sub: 'u2' })
    await b.revokeSubject('u2')
    await expect(a.verifyAccessToken(p2.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })

    const p3 = await a.issueTokens({ sub: 'u3' })
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).refresh(p3.refreshToken)),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const winner = (
      results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ accessToken: string }>
    ).value
    await expect(a.verifyAccessToken(winner.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })
  })

  it('fails closed when Redis goes down and recovers when it comes back (both clients)', async () => {
    const own = await startRedis()
    const nr = createClient({ url: own.url, socket: { reconnectStrategy: () => 100 } })
    nr.on('error', () => {})
    await nr.connect()
    const io = new Redis(own.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 })
    io.on('error', () => {})
    try {
      for (const client of [nr, io]) {
        const auth = createAuth({
          secret: SECRET,
          store: redisStore({ client, timeoutMs: 300, onWarning: quiet }),
        })
        const pair = await auth.issueTokens({ sub: 'u1' })
        await auth.verifyAccessToken(pair.accessToken)
      }
      await own.stop()
      for (const client of [nr, io]) {
        const auth = createAuth({
          secret: SECRET,
          store: redisStore({ client, timeoutMs: 300, onWarning: quiet }),
        })
        // A login writes its session record: refused (503) too. A token minted elsewhere fails closed.
        await expect(auth.issueTokens({ sub: 'u1' })).rejects.toMatchObject({ code: 'store_unavailable' })
        const pair = await createAuth({ secret: SECRET }).issueTokens({ sub: 'u1' })
        const err = await auth.verifyAccessToken(pair.accessToken).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(AuthError)
        expect((err as AuthError).code).toBe('store_unavailable')
        expect((err as AuthError).status).toBe(503)
      }
      const again = await startRedis(own.port)
      try {
        for (const client of [nr, io]) {
          const auth = createAuth({
            secret: SECRET,
            store: redisStore({ client, timeoutMs: 300, onWarning: quiet }),
          })
          const pair = await createAuth({ secret: SECRET }).issueTokens({ sub: 'u1' })
          await expect
            .poll(
              () =>
                auth.verifyAccessToken(pair.accessToken).then(
                  () => 'ok',
                  (e: AuthError) => e.code,
                ),
              { timeout: 5000 },
            )
            .toBe('ok')
        }
      } finally {
        await again.stop()
      }
    } finally {
      nr.destroy()
      io.disconnect()
    }
  }, 30_000)
})
