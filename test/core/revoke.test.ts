import { describe, expect, it } from 'vitest'
import { createAuth, memoryStore } from '../../src/index.js'
import { clock, codeOf, SECRET } from '../helpers.js'

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

describe('revoke and revokeSubject; one-time tokens', () => {
  it('revokes one access token, a subject (with a fresh login still valid), and one-time tokens once', async () => {
    const auth = createAuth({ secret: SECRET })
    const a = await auth.issueTokens({ sub: 'u1' })
    const b = await auth.issueTokens({ sub: 'u1' })
    await auth.verifyAccessToken(a.accessToken) // now cached: revocation must still apply
    await auth.revoke(a.accessToken)
    expect(await codeOf(auth.verifyAccessToken(a.accessToken))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(b.accessToken)).sub).toBe('u1')
    await auth.revokeSubject('u1')
    const fresh = await auth.issueTokens({ sub: 'u1' })
    expect(await codeOf(auth.verifyAccessToken(b.accessToken))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(fresh.accessToken)).sub).toBe('u1')
    const ott = await auth.issueOneTimeToken('reset', 'u2')
    expect(await codeOf(auth.consumeOneTimeToken(ott, 'verify_email'))).toBe('token_claim_invalid')
    expect(await auth.consumeOneTimeToken(ott, 'reset')).toBe('u2')
    expect(await codeOf(auth.consumeOneTimeToken(ott, 'reset'))).toBe('token_revoked')
  })
})

describe('revokeSubject is exact with whole-second iat', () => {
  // 12:00:00.250 — every step below happens inside this one second.
  const start = Date.UTC(2026, 0, 1, 12, 0, 0, 250)

  it('revokeSubject then issue in the same second: the new token is valid, the old one rejected', async () => {
    const t = clock(start)
    const auth = createAuth({ secret: SECRET, now: t.now, clockTolerance: 0 })
    const before = await auth.issueTokens({ sub: 'u1' })
    const resetBefore = await auth.issueOneTimeToken('reset', 'u1')
    t.advance(0.3) // .550
    await auth.revokeSubject('u1')
    t.advance(0.3) // .850, still the same second
    const after = await auth.issueTokens({ sub: 'u1' })
    const resetAfter = await auth.issueOneTimeToken('reset', 'u1')
    expect(claimsOf(before.accessToken).iat).toBe(claimsOf(after.accessToken).iat)

    expect(await codeOf(auth.verifyAccessToken(before.accessToken))).toBe('token_revoked')
    expect(await codeOf(auth.refresh(before.refreshToken))).toBe('token_revoked')
    expect(await codeOf(auth.consumeOneTimeToken(resetBefore, 'reset'))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(after.accessToken)).sub).toBe('u1')
    expect(await auth.consumeOneTimeToken(resetAfter, 'reset')).toBe('u1')
    const next = await auth.refresh(after.refreshToken)
    expect((await auth.verifyAccessToken(next.accessToken)).sub).toBe('u1')
  })

  it('holds within one millisecond too (a frozen clock)', async () => {
    const t = clock(start)
    const auth = createAuth({ secret: SECRET, now: t.now })
    const before = await auth.issueTokens({ sub: 'u1' })
    await auth.revokeSubject('u1')
    const after = await auth.issueTokens({ sub: 'u1' })
    expect(await codeOf(auth.verifyAccessToken(before.accessToken))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(after.accessToken)).sub).toBe('u1')
  })

  it('holds across two instances sharing one store (the cutoff lives in the store)', async () => {
    const t = clock(start)
    const store = memoryStore({ now: t.now })
    const a = createAuth({ secret: SECRET, now: t.now, store })
    const b = createAuth({ secret: SECRET, now: t.now, store })
    const old = await b.issueTokens({ sub: 'u1' })
    t.advance(0.1)
    await a.revokeSubject('u1')
    t.advance(0.001)
    const fresh = await b.issueTokens({ sub: 'u1' })
    for (const auth of [a, b]) {
      expect(await codeOf(auth.verifyAccessToken(old.accessToken))).toBe('token_revoked')
      expect((await auth.verifyAccessToken(fresh.accessToken)).sub).toBe('u1')
    }
  })

  it('leaves other subjects alone, and still rejects the revoked ones in later seconds', async () => {
    const t = clock(start)
    const auth = createAuth({ secret: SECRET, now: t.now })
    const u1 = await auth.issueTokens({ sub: 'u1' })
    const u2 = await auth.issueTokens({ sub: 'u2' })
    await auth.revokeSubject('u1')
    t.advance(30)
    expect(await codeOf(auth.verifyAccessToken(u1.accessToken))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(u2.accessToken)).sub).toBe('u2')
  })
})
