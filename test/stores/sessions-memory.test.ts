// memoryStore's session records have a bound of their own (maxSessions): logins never take the
// room of a revocation, and a full bound refuses the login (503) rather than forget a signed-in
// device, which would then survive "sign out other devices".
import { describe, expect, it } from 'vitest'
import { createAuth, memoryStore } from '../../src/index.js'
import { clock, codeOf, SECRET } from '../helpers.js'

describe('memoryStore session records', () => {
  it('refuses a login when maxSessions records are live, forgets none, and has room again once one expires', async () => {
    const t = clock()
    const store = memoryStore({ maxSessions: 3, now: t.now })
    const auth = createAuth({ secret: SECRET, store, now: t.now, refreshTokenTtl: '1h' })
    const first = await auth.issueTokens({ sub: 'u1' })
    t.advance(600)
    await auth.issueTokens({ sub: 'u1' })
    await auth.issueTokens({ sub: 'u2' })
    const err = await auth.issueTokens({ sub: 'u3' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'store_unavailable', status: 503 })
    expect(String((err as Error).cause)).toMatch(/maxSessions = 3/)
    expect(await auth.listSessions('u1')).toHaveLength(2)
    // Revocations have their own room: a full session bound never blocks a logout.
    await auth.revoke(first.accessToken, { session: true })
    expect(await codeOf(auth.verifyAccessToken(first.accessToken))).toBe('token_revoked')
    // The revoked session's record is gone, so there is room again; and expiry frees room too.
    await auth.issueTokens({ sub: 'u3' })
    expect(await codeOf(auth.issueTokens({ sub: 'u4' }))).toBe('store_unavailable')
    t.advance(3600 + 5) // the three sessions of t = 600 s end: their refresh tokens expire
    await auth.issueTokens({ sub: 'u4' })
    expect(await auth.listSessions('u4')).toHaveLength(1)
    await store.close?.()
  })

  it('keeps session records out of maxEntries: many logins on a small store', async () => {
    const store = memoryStore({ maxEntries: 4, maxCounters: 1, maxSessions: 100 })
    const auth = createAuth({ secret: SECRET, store })
    for (let i = 0; i < 50; i++) await auth.issueTokens({ sub: `u${i % 5}` })
    expect(store.size).toBe(0)
    expect(await auth.listSessions('u0')).toHaveLength(10)
    await store.close?.()
  })

  it('rejects a maxSessions that is not a positive integer', () => {
    for (const maxSessions of [0, -1, 1.5, Number.NaN])
      expect(() => memoryStore({ maxSessions })).toThrow(TypeError)
    expect(() => memoryStore({ maxSessions: 1 })).not.toThrow()
  })
})
