import { describe, expect, it } from 'vitest'
import { AuthError, type AuthEvent, createAuth, memoryStore, type TokenStore } from '../../src/index.js'
import { clock, codeOf, SECRET } from '../helpers.js'

const eventsOf = (events: AuthEvent[], type: AuthEvent['type']) => events.filter((e) => e.type === type)

describe('refresh: rotation and reuse detection', () => {
  it('rotates, detects reuse and kills the whole family (reuseGrace 0)', async () => {
    const auth = createAuth({ secret: SECRET, reuseGrace: 0 })
    const first = await auth.issueTokens({ sub: 'u1' })
    const second = await auth.refresh(first.refreshToken)
    expect(await codeOf(auth.refresh(first.refreshToken))).toBe('refresh_token_reused')
    expect(await codeOf(auth.verifyAccessToken(second.accessToken))).toBe('token_revoked')
    expect(await codeOf(auth.refresh(second.refreshToken))).toBe('token_revoked')
  })

  it('lets exactly one of 50 simultaneous refreshes succeed (reuseGrace 0)', async () => {
    const auth = createAuth({ secret: SECRET, reuseGrace: 0 })
    const pair = await auth.issueTokens({ sub: 'u1' })
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  })

  it('bounds a burst within the grace window: at most 1 + 2 retries rotate, and the burst revokes the session', async () => {
    const auth = createAuth({ secret: SECRET })
    const pair = await auth.issueTokens({ sub: 'u1' })
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    )
    const won = results.filter(
      (r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof auth.refresh>>> => r.status === 'fulfilled',
    )
    expect(won.length).toBeGreaterThanOrEqual(1)
    expect(won.length).toBeLessThanOrEqual(3)
    for (const w of won)
      expect(await codeOf(auth.verifyAccessToken(w.value.accessToken))).toBe('token_revoked')
  })

  it('accepts the retry of a refresh whose answer was lost, within reuseGrace; later the same token is reuse', async () => {
    const c = clock()
    const events: AuthEvent[] = []
    const auth = createAuth({ secret: SECRET, now: c.now, onEvent: (e) => void events.push(e) })
    const pair = await auth.issueTokens({ sub: 'u1' })
    await auth.refresh(pair.refreshToken) // the answer never reached the client
    c.advance(3)
    const retried = await auth.refresh(pair.refreshToken)
    expect((await auth.verifyAccessToken(retried.accessToken)).sub).toBe('u1')
    expect(eventsOf(events, 'refresh_reused')).toHaveLength(0)
    c.advance(60)
    expect(await codeOf(auth.refresh(pair.refreshToken))).toBe('refresh_token_reused')
    expect(await codeOf(auth.verifyAccessToken(retried.accessToken))).toBe('token_revoked')
  })

  it.each([
    ['a store that spends in one step (spendRefresh)', 'spendRefresh'],
    ['a store without spendRefresh (consume and hit)', 'consume'],
  ] as const)(
    'keeps the session when %s spent the token but its answer timed out (503, then the retry works)',
    async (_, method) => {
      const inner = memoryStore()
      let failNext = true
      // Executes on the "server" and then fails on our side, as a Redis call does when our timeout
      // fires after Redis received the command.
      const lateAnswer =
        <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          const result = await call(...args)
          if (failNext) {
            failNext = false
            throw new Error('tokenward: Redis did not answer within 500 ms')
          }
          return result
        }
      const store: TokenStore = {
        ...inner,
        isRevoked: (ids, cutoff) => inner.isRevoked(ids, cutoff),
        ...(method === 'spendRefresh'
          ? { spendRefresh: lateAnswer(inner.spendRefresh!) }
          : { spendRefresh: undefined, consume: lateAnswer(inner.consume) }),
      }
      const events: AuthEvent[] = []
      const auth = createAuth({ secret: SECRET, store, onEvent: (e) => void events.push(e) })
      const pair = await auth.issueTokens({ sub: 'u1' })
      expect(await codeOf(auth.refresh(pair.refreshToken))).toBe('store_unavailable')
      const retried = await auth.refresh(pair.refreshToken)
      expect((await auth.verifyAccessToken(retried.accessToken)).sub).toBe('u1')
      expect(eventsOf(events, 'refresh_reused')).toHaveLength(0)
    },
  )

  // The composed spend (a store without spendRefresh, or a token from before places existed):
  // parallel replays of a place spent long ago could each see the other's count as "a concurrent
  // first presentation" and both pass as retries — a thief's second chain, with nothing revoked.
  it.each([2, 3, 8, 25])(
    'a store without spendRefresh: %i parallel replays of a place spent long ago are all reuse, and the session dies',
    async (n) => {
      const c = clock()
      const inner = memoryStore({ now: c.now })
      const store: TokenStore = { ...inner, spendRefresh: undefined, spentGeneration: undefined }
      const auth = createAuth({ secret: SECRET, store, now: c.now })
      const stolen = await auth.issueTokens({ sub: 'u1' })
      const next = await auth.refresh(stolen.refreshToken)
      c.advance(60) // well past reuseGrace (10 s): the stolen token's window is over
      const results = await Promise.allSettled(
        Array.from({ length: n }, () => auth.refresh(stolen.refreshToken)),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(0)
      expect(await codeOf(auth.refresh(next.refreshToken))).toBe('token_revoked')
      expect(await codeOf(auth.verifyAccessToken(next.accessToken))).toBe('token_revoked')
    },
  )

  it('a store without spendRefresh: parallel refreshes of a fresh token still give one rotation and at most two retries, all of one next place', async () => {
    const inner = memoryStore()
    const store: TokenStore = { ...inner, spendRefresh: undefined, spentGeneration: undefined }
    const auth = createAuth({ secret: SECRET, store })
    const pair = await auth.issueTokens({ sub: 'u1' })
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => auth.refresh(pair.refreshToken)))
    const won = results.filter(
      (r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof auth.refresh>>> => r.status === 'fulfilled',
    )
    expect(won).toHaveLength(3)
    const places = won.map(
      (w) => JSON.parse(atob(w.value.refreshToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).gen,
    )
    expect(new Set(places)).toEqual(new Set([1]))
    for (const w of won) expect((await auth.verifyAccessToken(w.value.accessToken)).sub).toBe('u1')
  })

  // A spent token verifies until exp + clockTolerance: its spent state must last as long, or a
  // token refreshed a moment after it was issued becomes spendable again in its last seconds.
  it.each([
    ['a store that spends in one step (spendRefresh)', false],
    ['a store without spendRefresh (consume and hit)', true],
  ] as const)(
    '%s: a spent token presented after exp but within clockTolerance is reuse, not a new rotation',
    async (_, composed) => {
      const c = clock()
      const inner = memoryStore({ now: c.now })
      const store: TokenStore = composed
        ? { ...inner, spendRefresh: undefined, spentGeneration: undefined }
        : inner
      const auth = createAuth({
        secret: SECRET,
        store,
        now: c.now,
        refreshTokenTtl: '1h',
        accessTokenTtl: '1h',
        clockTolerance: '30s',
      })
      const stolen = await auth.issueTokens({ sub: 'u1' })
      c.advance(1)
      const next = await auth.refresh(stolen.refreshToken) // refreshed a second after login
      c.advance(3600 + 10) // past the stolen token's exp, within its tolerance; the new pair idle
      expect(await codeOf(auth.refresh(stolen.refreshToken))).toBe('refresh_token_reused')
      expect(await codeOf(auth.refresh(next.refreshToken))).toBe('token_revoked')
    },
  )

  it('re-reads the user before spending: a brief resolveUser failure leaves the token unspent (even with reuseGrace 0)', async () => {
    let down = true
    const events: AuthEvent[] = []
    const auth = createAuth({
      secret: SECRET,
      reuseGrace: 0,
      resolveUser: (claims) => {
        if (down) throw new AuthError('store_unavailable', 'users database down')
        return { id: claims.sub }
      },
      onEvent: (e) => void events.push(e),
    })
    const pair = await auth.issueTokens({ sub: 'u1' })
    expect(await codeOf(auth.refresh(pair.refreshToken))).toBe('store_unavailable')
    down = false
    const next = await auth.refresh(pair.refreshToken)
    expect((await auth.verifyAccessToken(next.accessToken)).sub).toBe('u1')
    expect(eventsOf(events, 'refresh_reused')).toHaveLength(0)
  })

  it('ends the session of a user who no longer exists', async () => {
    let exists = true
    const auth = createAuth({ secret: SECRET, resolveUser: (c) => (exists ? { id: c.sub } : null) })
    const pair = await auth.issueTokens({ sub: 'u1' })
    exists = false
    expect(await codeOf(auth.refresh(pair.refreshToken))).toBe('user_not_found')
    exists = true
    expect(await codeOf(auth.refresh(pair.refreshToken))).toBe('token_revoked')
  })
})

describe('rotateRefreshTokens: false', () => {
  it('keeps the first refresh token working for every refresh (a client that never stores a new one), still revocable', async () => {
    const c = clock()
    const auth = createAuth({ secret: SECRET, now: c.now, rotateRefreshTokens: false })
    const first = await auth.issueTokens({ sub: 'u1', roles: ['user'] })
    for (let i = 0; i < 3; i++) {
      c.advance(25 * 60)
      const next = await auth.refresh(first.refreshToken)
      expect(next.refreshToken).toBe(first.refreshToken)
      expect(next.refreshExpiresIn).toBe(7 * 86400 - (i + 1) * 25 * 60)
      expect((await auth.verifyAccessToken(next.accessToken)).roles).toEqual(['user'])
    }
    const last = await auth.refresh(first.refreshToken)
    await auth.revoke(first.refreshToken)
    expect(await codeOf(auth.refresh(first.refreshToken))).toBe('token_revoked')
    expect(await codeOf(auth.verifyAccessToken(last.accessToken))).toBe('token_revoked')
  })
})
