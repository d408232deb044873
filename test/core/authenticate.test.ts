import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AUTH_ERROR_STATUS, AuthError, createAuth } from '../../src/index.js'
import { codeOf, SECRET } from '../helpers.js'

describe('authenticate: credentials in, authorize', () => {
  const auth = createAuth({ secret: SECRET })
  const codes = new Set(Object.keys(AUTH_ERROR_STATUS))

  it('random Authorization headers only ever throw AuthError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
        ),
        async (header) => {
          const code = await codeOf(auth.authenticate({ authorization: header }))
          expect(codes.has(code)).toBe(true)
        },
      ),
      { numRuns: 500, seed: 3 },
    )
  })

  it('authorizes roles through the hierarchy and scopes all-of', async () => {
    const auth = createAuth({ secret: SECRET, roleHierarchy: { admin: ['editor'], editor: ['user'] } })
    const pair = await auth.issueTokens({ sub: 'u1', roles: ['admin'], scope: 'users:read' })
    const ctx = await auth.authenticate(`${pair.accessToken}`)
    auth.authorize(ctx, { roles: ['user'] })
    auth.authorize(ctx, { scopes: ['users:read'] })
    expect(() => auth.authorize(ctx, { roles: ['owner'] })).toThrow(
      expect.objectContaining({ code: 'insufficient_role', status: 403 }),
    )
    try {
      auth.authorize(ctx, { scopes: ['users:read', 'users:write'] })
    } catch (err) {
      expect((err as AuthError).code).toBe('insufficient_scope')
      expect((err as AuthError).wwwAuthenticate).toBe(
        'Bearer realm="tokenward", error="insufficient_scope", error_description="this needs the scopes: users:read users:write", scope="users:read users:write"',
      )
    }
  })

  it('rejects Bearer headers with two tokens, and accepts lower-case bearer', async () => {
    const auth = createAuth({ secret: SECRET })
    const pair = await auth.issueTokens({ sub: 'u1' })
    expect((await auth.authenticate({ authorization: `bearer ${pair.accessToken}` })).claims.sub).toBe('u1')
    expect(
      await codeOf(auth.authenticate({ authorization: `Bearer ${pair.accessToken} ${pair.accessToken}` })),
    ).toBe('token_malformed')
    expect(await codeOf(auth.authenticate({ authorization: 'Basic dTpw' }))).toBe('token_missing')
    // RFC 6750 §2.1 edges: extra spaces around are tolerated, an empty or odd token is malformed,
    // and a scheme that merely starts with "Bearer" is another scheme.
    const t = pair.accessToken
    expect((await auth.authenticate({ authorization: `  BEARER   ${t}  ` })).claims.sub).toBe('u1')
    expect(await codeOf(auth.authenticate({ authorization: 'Bearer' }))).toBe('token_malformed')
    expect(await codeOf(auth.authenticate({ authorization: 'Bearer    ' }))).toBe('token_malformed')
    expect(await codeOf(auth.authenticate({ authorization: `Bearer ${t},x` }))).toBe('token_malformed')
    expect(await codeOf(auth.authenticate({ authorization: `Bearer\t${t}` }))).toBe('token_missing')
    expect(await codeOf(auth.authenticate({ authorization: `Bearerx ${t}` }))).toBe('token_missing')
  })
})

describe('the error boundary', () => {
  it('rethrows a bug in resolveUser as it is (not store_unavailable) and reports an error event', async () => {
    const events: { type: string; source?: string; error?: unknown }[] = []
    const bug = new TypeError('users is not iterable')
    const auth = createAuth({
      secret: SECRET,
      resolveUser: () => {
        throw bug
      },
      onEvent: (e) => {
        events.push(e as never)
      },
    })
    const pair = await auth.issueTokens({ sub: 'u1' })
    await expect(auth.authenticate(pair.accessToken)).rejects.toBe(bug)
    await expect(auth.refresh(pair.refreshToken)).rejects.toBe(bug)
    expect(events.filter((e) => e.type === 'error')).toEqual([
      expect.objectContaining({ source: 'resolveUser', error: bug }),
      expect.objectContaining({ source: 'resolveUser', error: bug }),
    ])
    expect(events.some((e) => e.type === 'authentication_failed')).toBe(false)
  })

  it('keeps an AuthError the app throws itself (e.g. its database is down: store_unavailable)', async () => {
    const auth = createAuth({
      secret: SECRET,
      resolveUser: () => {
        throw new AuthError('store_unavailable', 'users database down')
      },
    })
    const pair = await auth.issueTokens({ sub: 'u1' })
    expect(await codeOf(auth.authenticate(pair.accessToken))).toBe('store_unavailable')
  })

  it('applies the configured realm to every AuthError, once', async () => {
    const auth = createAuth({ secret: SECRET, realm: 'api' })
    const err = await auth.authenticate('garbage').catch((e: AuthError) => e)
    expect((err as AuthError).wwwAuthenticate).toMatch(/^Bearer realm="api", error="invalid_token"/)
    const pair = await auth.issueTokens({ sub: 'u1' })
    await auth.revoke(pair.refreshToken)
    const revoked = await auth.refresh(pair.refreshToken).catch((e: AuthError) => e)
    expect((revoked as AuthError).realm).toBe('api')
  })
})
