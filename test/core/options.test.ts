import { describe, expect, it } from 'vitest'
import { createAuth, createAuthRoutes, memoryStore, type TokenStore } from '../../src/index.js'
import { SECRET } from '../helpers.js'

const make = (extra: Record<string, unknown>) => () => createAuth({ secret: SECRET, ...extra } as never)

describe('createAuth options are checked once, at construction', () => {
  it('rejects unknown option names and names the closest valid one', () => {
    expect(make({ refreshTokenTTL: '7d' })).toThrow(
      'unknown option `refreshTokenTTL` in createAuth — did you mean `refreshTokenTtl`?',
    )
    expect(make({ resolveUsr: () => null })).toThrow('did you mean `resolveUser`?')
    expect(make({ totallyUnrelated: 1 })).toThrow(
      /unknown option `totallyUnrelated` in createAuth \(valid: secret,/,
    )
    expect(make({ cookies: { sameSit: 'lax' } })).toThrow('did you mean `sameSite`?')
    expect(make({ cache: { maxEntry: 5 } })).toThrow('did you mean `maxEntries`?')
  })

  it('never lets NaN, Infinity or a fraction switch a protection off', () => {
    // Before: maxTokenLength NaN silently removed the token-length cap.
    expect(make({ maxTokenLength: Number.NaN })).toThrow('`maxTokenLength` must be a whole number')
    expect(make({ maxTokenLength: Number.POSITIVE_INFINITY })).toThrow('`maxTokenLength`')
    expect(make({ maxTokenLength: 10.5 })).toThrow('`maxTokenLength`')
    expect(make({ cache: { maxEntries: Number.NaN } })).toThrow('`cache.maxEntries`')
    expect(make({ accessTokenTtl: Number.NaN })).toThrow('accessTokenTtl')
    expect(make({ accessTokenTtl: 0 })).toThrow('`accessTokenTtl` must be at least 1 s')
    expect(make({ clockTolerance: '5 minutes' })).toThrow('clockTolerance')
    expect(make({ reuseGrace: -1 })).toThrow('reuseGrace')
  })

  it('checks callbacks, the store, the schema and the cookie settings', () => {
    expect(make({ resolveUser: 'users' })).toThrow('`resolveUser` must be a function')
    expect(make({ onEvent: {} })).toThrow('`onEvent` must be a function')
    expect(make({ claimsSchema: {} })).toThrow('Standard Schema')
    const partial = { revoke: async () => {}, isRevoked: () => false } as unknown as TokenStore
    expect(make({ store: partial })).toThrow('`store` lacks consume, setCutoff, getCutoff, hit')
    expect(make({ cookies: { sameSite: 'none', secure: false } })).toThrow('secure')
    expect(make({ rotateRefreshTokens: 'no' })).toThrow('`rotateRefreshTokens` must be true or false')
    expect(make({ audience: [] })).toThrow('`audience`')
    expect(make({ issuer: '' })).toThrow('`issuer`')
    expect(make({ issuer: ['https://a', ''] })).toThrow('`issuer`')
    expect(make({ verifyProfile: 'strict' })).toThrow("`verifyProfile` must be 'rfc9068' or 'jwt'")
    expect(make({ verifyProfile: 'jwt' })).toThrow('verify-only')
  })

  it('accepts every documented option', async () => {
    const auth = createAuth({
      secret: SECRET,
      issuer: ['https://api', 'https://old-api'],
      verifyProfile: 'rfc9068',
      audience: ['api', 'admin'],
      accessTokenTtl: '15m',
      refreshTokenTtl: '7d',
      clockTolerance: '5s',
      maxTokenLength: 4096,
      store: memoryStore(),
      resolveUser: (claims) => claims,
      claimsFor: () => ({}),
      roleHierarchy: { admin: ['user'] },
      rolePermissions: { user: ['read'] },
      onEvent: () => {},
      reuseGrace: '2s',
      rotateRefreshTokens: true,
      realm: 'api',
      cookies: { sameSite: 'lax', names: { access: 'a' } },
      cache: { maxEntries: 100 },
      now: Date.now,
    })
    const pair = await auth.issueTokens({ sub: 'u1' })
    expect(pair.expiresIn).toBe(900)
    const refused = await auth.verifyAccessToken('not-a-token').catch((err: unknown) => err)
    expect(refused).toMatchObject({ code: 'token_malformed', realm: 'api' })
  })
})

describe('auth route options are checked when the routes are built', () => {
  const auth = createAuth({ secret: SECRET })
  const routes = (extra: Record<string, unknown>) => () =>
    createAuthRoutes(auth, { findUser: () => null, ...extra } as never)

  it('rejects unknown names, and NaN limits that would remove the rate limit', () => {
    expect(routes({ rateLimit: { maxPerUsername: Number.NaN } })).toThrow(
      '`rateLimit.maxPerUsername` must be a whole number',
    )
    expect(routes({ rateLimit: { maxPerAddress: 0 } })).toThrow('`rateLimit.maxPerAddress`')
    expect(routes({ rateLimit: { window: 'soon' } })).toThrow('rateLimit.window')
    expect(routes({ rateLimit: { maxPerUser: 3 } })).toThrow('did you mean `maxPerUsername`?')
    expect(routes({ findUsers: () => null })).toThrow('did you mean `findUser`?')
    expect(routes({ maxBodyBytes: Number.NaN })).toThrow('`maxBodyBytes`')
    expect(routes({ trustProxy: -1 })).toThrow('`trustProxy`')
    expect(() => createAuthRoutes(auth, {} as never)).toThrow('`findUser` or `verifyCredentials`')
  })
})
