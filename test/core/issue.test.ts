import { describe, expect, it } from 'vitest'
import { createAuth } from '../../src/index.js'
import { SECRET } from '../helpers.js'

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

describe('issueTokens', () => {
  it('issues a pair of one new family with the registered claims and the caller’s own', async () => {
    const auth = createAuth({ secret: SECRET, issuer: 'https://api', audience: 'api', accessTokenTtl: '10m' })
    const pair = await auth.issueTokens({ sub: 'u1', roles: ['admin'], tenant: 't1' })
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 600, refreshExpiresIn: 604800 })
    const access = claimsOf(pair.accessToken)
    const refresh = claimsOf(pair.refreshToken)
    expect(access).toMatchObject({
      iss: 'https://api',
      aud: 'api',
      sub: 'u1',
      roles: ['admin'],
      tenant: 't1',
    })
    expect(access.exp - Math.floor(access.iat)).toBe(600)
    expect(access.fid).toBe(refresh.fid)
    expect(access.jti).not.toBe(refresh.jti)
    const other = await auth.issueTokens({ sub: 'u1' })
    expect(claimsOf(other.accessToken).fid).not.toBe(access.fid)
  })

  it('refuses registered claims from the caller and a missing sub', async () => {
    const auth = createAuth({ secret: SECRET })
    for (const name of ['exp', 'jti', 'fid', 'iat', 'iss'])
      await expect(auth.issueTokens({ sub: 'u1', [name]: 1 })).rejects.toThrow(`claim \`${name}\``)
    await expect(auth.issueTokens({ sub: '' })).rejects.toThrow(TypeError)
    await expect(auth.issueTokens(null as never)).rejects.toThrow(TypeError)
  })

  it('cannot issue in a verify-only configuration', async () => {
    const auth = createAuth({ jwks: 'http://127.0.0.1:9/jwks.json' })
    await expect(auth.issueTokens({ sub: 'u1' })).rejects.toThrow(/verify-only/)
  })
})

describe('issued NumericDates are whole seconds (RFC 7519 §2, as PyJWT and jose maxTokenAge read them)', () => {
  it('writes integer iat and exp, and the millisecond of the issue in front of the jti', async () => {
    const at = Date.UTC(2026, 0, 1, 12, 0, 0, 987)
    const auth = createAuth({ secret: SECRET, now: () => at, accessTokenTtl: '10m' })
    const pair = await auth.issueTokens({ sub: 'u1' })
    const ott = await auth.issueOneTimeToken('reset', 'u1', '5m')
    for (const token of [pair.accessToken, pair.refreshToken, ott]) {
      const claims = claimsOf(token)
      expect(Number.isInteger(claims.iat)).toBe(true)
      expect(Number.isInteger(claims.exp)).toBe(true)
      expect(claims.iat).toBe(Math.floor(at / 1000))
      // jti: the millisecond within the iat second (2 base64url characters), then 128 random bits.
      expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{24}$/)
      const digit = (c: string) =>
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(c)
      expect(digit(claims.jti[0]) * 64 + digit(claims.jti[1])).toBe(987)
    }
    expect(claimsOf(pair.accessToken).exp).toBe(Math.floor(at / 1000) + 600)
    expect(claimsOf(ott).exp).toBe(Math.floor(at / 1000) + 300)
    expect(claimsOf(pair.accessToken).jti).not.toBe(claimsOf(pair.refreshToken).jti)
  })
})
