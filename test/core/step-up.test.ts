import { describe, expect, it } from 'vitest'
import { AuthError, createAuth } from '../../src/index.js'
import { clock, codeOf, SECRET } from '../helpers.js'

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

describe('fresh logins: auth_time, authorize({ maxAge }), stepUp', () => {
  it('stamps auth_time at login and carries it unchanged across refreshes, claimsFor or not', async () => {
    const c = clock()
    const auth = createAuth({
      secret: SECRET,
      now: c.now,
      claimsFor: () => ({ roles: ['user'] }),
      resolveUser: (cl) => cl,
    })
    const login = await auth.issueTokens({ sub: 'u1' })
    const loggedInAt = claimsOf(login.accessToken).auth_time
    expect(loggedInAt).toBe(Math.floor(c.now() / 1000))
    c.advance(600)
    const next = await auth.refresh(login.refreshToken)
    expect(claimsOf(next.accessToken)).toMatchObject({ auth_time: loggedInAt, roles: ['user'] })
    await expect(auth.issueTokens({ sub: 'u1', auth_time: 1 } as never)).rejects.toThrow('claim `auth_time`')
  })

  it('answers a stale login with 401 insufficient_user_authentication and RFC 9470 max_age', async () => {
    const c = clock()
    const auth = createAuth({ secret: SECRET, now: c.now })
    const pair = await auth.issueTokens({ sub: 'u1' })
    const ctx = await auth.authenticate(pair.accessToken)
    auth.authorize(ctx, { maxAge: '5m' })
    c.advance(6 * 60)
    const later = await auth.authenticate((await auth.refresh(pair.refreshToken)).accessToken)
    let err: AuthError | undefined
    try {
      auth.authorize(later, { maxAge: '5m' })
    } catch (e) {
      err = e as AuthError
    }
    expect(err).toBeInstanceOf(AuthError)
    expect(err!.status).toBe(401)
    expect(err!.code).toBe('insufficient_user_authentication')
    expect(err!.wwwAuthenticate).toBe(
      'Bearer realm="tokenward", error="insufficient_user_authentication", error_description="this needs a more recent login", max_age=300',
    )
    // A token without auth_time (issued elsewhere) is never fresh.
    expect(() => auth.authorize({ claims: { sub: 'x' } as never }, { maxAge: 3600 })).toThrow(AuthError)
  })

  it('stepUp issues a fresh pair in the same session; revoking the session ends it too', async () => {
    const c = clock()
    const auth = createAuth({ secret: SECRET, now: c.now })
    const pair = await auth.issueTokens({ sub: 'u1', roles: ['admin'] })
    c.advance(3600)
    const ctx = await auth.authenticate((await auth.refresh(pair.refreshToken)).accessToken)
    const fresh = await auth.stepUp(ctx.claims)
    const claims = claimsOf(fresh.accessToken)
    expect(claims).toMatchObject({
      sub: 'u1',
      fid: ctx.claims.fid,
      roles: ['admin'],
      auth_time: Math.floor(c.now() / 1000),
    })
    auth.authorize(await auth.authenticate(fresh.accessToken), { maxAge: '5m' })
    // Without the session's refresh token, step-up hands out an access token only (S1).
    expect(fresh.refreshToken).toBeUndefined()
    await auth.revoke(fresh.accessToken, { session: true })
    expect(await codeOf(auth.verifyAccessToken(ctx.token))).toBe('token_revoked')
    expect(await codeOf(auth.verifyAccessToken(fresh.accessToken))).toBe('token_revoked')
  })
})
