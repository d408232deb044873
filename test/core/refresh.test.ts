import { describe, expect, it } from 'vitest'
import { createAuth } from '../../src/index.js'
import { codeOf, SECRET } from '../helpers.js'

describe('refresh: rotation and reuse detection', () => {
  it('rotates, detects reuse and kills the whole family', async () => {
    const auth = createAuth({ secret: SECRET })
    const first = await auth.issueTokens({ sub: 'u1' })
    const second = await auth.refresh(first.refreshToken)
    expect(await codeOf(auth.refresh(first.refreshToken))).toBe('refresh_token_reused')
    expect(await codeOf(auth.verifyAccessToken(second.accessToken))).toBe('token_revoked')
    expect(await codeOf(auth.refresh(second.refreshToken))).toBe('token_revoked')
  })

  it('lets exactly one of 50 simultaneous refreshes succeed', async () => {
    const auth = createAuth({ secret: SECRET })
    const pair = await auth.issueTokens({ sub: 'u1' })
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => auth.refresh(pair.refreshToken)),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  })
})
