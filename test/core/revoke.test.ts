import { describe, expect, it } from 'vitest'
import { createAuth } from '../../src/index.js'
import { codeOf, SECRET } from '../helpers.js'

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
