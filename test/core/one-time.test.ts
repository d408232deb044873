import { describe, expect, it } from 'vitest'
import { createAuth } from '../../src/index.js'
import { clock, codeOf, SECRET } from '../helpers.js'

describe('one-time tokens', () => {
  it('is spent once, for its purpose only', async () => {
    const auth = createAuth({ secret: SECRET })
    const ott = await auth.issueOneTimeToken('reset', 'u2')
    expect(await codeOf(auth.consumeOneTimeToken(ott, 'verify_email'))).toBe('token_claim_invalid')
    expect(await auth.consumeOneTimeToken(ott, 'reset')).toBe('u2')
    expect(await codeOf(auth.consumeOneTimeToken(ott, 'reset'))).toBe('token_revoked')
  })

  it('lets exactly one of 30 simultaneous uses through', async () => {
    const auth = createAuth({ secret: SECRET })
    const ott = await auth.issueOneTimeToken('reset', 'u1')
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => auth.consumeOneTimeToken(ott, 'reset')),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  })

  it('expires with its ttl and is never accepted as an access or refresh token', async () => {
    const c = clock()
    const auth = createAuth({ secret: SECRET, now: c.now })
    const ott = await auth.issueOneTimeToken('reset', 'u1', '10m')
    expect(await codeOf(auth.verifyAccessToken(ott))).toBe('token_wrong_type')
    expect(await codeOf(auth.refresh(ott))).toBe('token_wrong_type')
    c.advance(11 * 60)
    expect(await codeOf(auth.consumeOneTimeToken(ott, 'reset'))).toBe('token_expired')
  })

  it('refuses a missing purpose or subject and a zero ttl at the call', async () => {
    const auth = createAuth({ secret: SECRET })
    await expect(auth.issueOneTimeToken('', 'u1')).rejects.toThrow(TypeError)
    await expect(auth.issueOneTimeToken('reset', '')).rejects.toThrow(TypeError)
    await expect(auth.issueOneTimeToken('reset', 'u1', 0)).rejects.toThrow(/ttl/)
  })
})
