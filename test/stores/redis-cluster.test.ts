// redisStore on a real 3-master Redis Cluster (started once per run by test/setup/global.ts),
// through both clients: node-redis `createCluster` (whose sendCommand routes by a first key it is
// given) and ioredis `Cluster` (which routes `call` by the command's keys).
import { Cluster } from 'ioredis'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type AuthError, createAuth } from '../../src/index.js'
import { type RedisStoreOptions, redisStore } from '../../src/stores/redis/index.js'
import { runTokenStoreConformance } from '../../src/testing/index.js'

const nodes = inject('redisCluster')
const SECRET = 'cluster-test-secret-at-least-32-bytes-long'
const runId = Math.random().toString(36).slice(2)
const quiet = () => {}

describe.skipIf(!nodes)('redisStore on Redis Cluster', () => {
  const nodeRedis = createCluster({
    rootNodes: (nodes ?? []).map((n) => ({ url: `redis://${n.host}:${n.port}` })),
  })
  nodeRedis.on('error', () => {})
  const ioredis = new Cluster(nodes ?? [])
  ioredis.on('error', () => {})
  beforeAll(async () => {
    await nodeRedis.connect()
  })
  afterAll(async () => {
    await nodeRedis.close()
    ioredis.disconnect()
  })

  const clients: [string, () => RedisStoreOptions['client']][] = [
    ['node-redis createCluster', () => nodeRedis],
    ['ioredis Cluster', () => ioredis],
  ]

  for (const [name, client] of clients) {
    const tag = name.startsWith('node') ? 'nr' : 'io'
    runTokenStoreConformance(
      () => redisStore({ client: client(), prefix: `tw-cluster:${runId}:${tag}:`, onWarning: quiet }),
      { name: `redisStore (${name}) conformance` },
    )

    describe(`end to end through createAuth (${name})`, () => {
      const makeAuth = (prefix: string) =>
        createAuth({
          secret: SECRET,
          // Strict reuse detection: no grace for a retried refresh, so exactly one may win a race.
          reuseGrace: 0,
          store: redisStore({
            client: client(),
            prefix: `tw-cluster:${runId}:${tag}:${prefix}:`,
            onWarning: quiet,
          }),
        })

      it('revokes an access token and a refresh family', async () => {
        const auth = makeAuth('revoke')
        const pair = await auth.issueTokens({ sub: 'alice' })
        await auth.verifyAccessToken(pair.accessToken)
        await auth.revoke(pair.accessToken)
        await expect(auth.verifyAccessToken(pair.accessToken)).rejects.toMatchObject({
          code: 'token_revoked',
        })
        await auth.revoke(pair.refreshToken)
        await expect(auth.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'token_revoked' })
      })

      it('lets exactly one of 50 parallel refreshes of one token win, and revokes the family', async () => {
        const auth = makeAuth('race')
        const pair = await auth.issueTokens({ sub: 'bob' })
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
        )
        const won = results.filter((r) => r.status === 'fulfilled')
        expect(won).toHaveLength(1)
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        // A loser that got to consume() is told of the reuse; one that verified after the family
        // was revoked is told the token is revoked. Nothing else (no 503: the store kept up).
        const codes = lost.map((r) => (r.reason as AuthError).code)
        expect(codes).toContain('refresh_token_reused')
        for (const code of codes) expect(['refresh_token_reused', 'token_revoked']).toContain(code)
        // The reuse revoked the family, so the winner's new pair is dead too.
        const next = (won[0] as PromiseFulfilledResult<{ accessToken: string }>).value
        await expect(auth.verifyAccessToken(next.accessToken)).rejects.toMatchObject({
          code: 'token_revoked',
        })
      })

      it('logs a subject out everywhere (revokeSubject), and no one else', async () => {
        const auth = makeAuth('subject')
        const carol = await Promise.all([
          auth.issueTokens({ sub: 'carol' }),
          auth.issueTokens({ sub: 'carol' }),
        ])
        const dave = await auth.issueTokens({ sub: 'dave' })
        await auth.revokeSubject('carol')
        for (const pair of carol)
          await expect(auth.verifyAccessToken(pair.accessToken)).rejects.toMatchObject({
            code: 'token_revoked',
          })
        await auth.verifyAccessToken(dave.accessToken)
        // Tokens issued after the cutoff work again.
        const later = await auth.issueTokens({ sub: 'carol' })
        await auth.verifyAccessToken(later.accessToken)
      })

      it('consumes a one-time token exactly once of two parallel attempts', async () => {
        const auth = makeAuth('ott')
        for (let round = 0; round < 5; round++) {
          const token = await auth.issueOneTimeToken('password_reset', `erin-${round}`, '15m')
          const results = await Promise.allSettled([
            auth.consumeOneTimeToken(token, 'password_reset'),
            auth.consumeOneTimeToken(token, 'password_reset'),
          ])
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        }
      })

      it('counts 50 parallel store.hit calls atomically: each gets its own count', async () => {
        const store = redisStore({
          client: client(),
          prefix: `tw-cluster:${runId}:${tag}:hit:`,
          onWarning: quiet,
        })
        const counts = await Promise.all(Array.from({ length: 50 }, () => store.hit('login:user:frank', 60)))
        expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
        expect(await store.hit('login:user:frank', 60, 0)).toBe(50)
      })
    })
  }

  it('spreads users over every master while each check stays in one slot', async () => {
    const prefix = `tw-cluster:${runId}:spread:`
    const auth = createAuth({
      secret: SECRET,
      store: redisStore({ client: ioredis, prefix, onWarning: quiet }),
    })
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`)
    for (const sub of users) {
      const pair = await auth.issueTokens({ sub })
      await auth.revoke(pair.accessToken)
      await auth.revokeSubject(sub)
    }
    const masters = ioredis.nodes('master')
    expect(masters).toHaveLength(3)
    const perMaster = await Promise.all(
      masters.map(async (node) => ((await node.call('KEYS', `${prefix}*`)) as string[]).length),
    )
    // 30 users × (revocation + cutoff; revokeSubject forgot the keys of their session records), on
    // all three masters: the store really talks to each one.
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(60)
    expect(perMaster.every((n) => n > 0)).toBe(true)
  })

  // Changes a shared node's config for a moment: stores made earlier have passed their check
  // already, and no other test file uses the cluster.
  it('refuses a cluster whose one master evicts, naming that node (both clients)', async () => {
    const [victim] = ioredis.nodes('master')
    await victim!.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru')
    try {
      for (const [, client] of clients) {
        const store = redisStore({ client: client(), prefix: `tw-cluster:${runId}:evict:`, onWarning: quiet })
        const err = await store.revoke('jti', Date.now() / 1000 + 60, 'u1').catch((e: unknown) => e)
        expect(err).toBeInstanceOf(Error)
        expect((err as Error).message).toContain('maxmemory-policy "volatile-lru"')
        expect((err as Error).message).toContain(`:${victim!.options.port}`)
        expect((err as Error).message).toContain('CONFIG SET maxmemory-policy noeviction')
      }
    } finally {
      await victim!.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction')
    }
  })
})
