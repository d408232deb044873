/**
 * verifyProfile 'jwt': tokens of other identity providers, shaped like the defaults of Auth0,
 * Keycloak, Cognito and Firebase (typ JWT or none, often no jti), made by jose and served from
 * local JWK Set endpoints on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthEvent, createAuth, type KeyResolverInput } from '../../src/index.js'
import { codeOf } from '../helpers.js'

type Keys = Awaited<ReturnType<typeof generateKeyPair>>

const AUTH0 = 'https://tenant.eu.auth0.com/'
const KEYCLOAK = 'http://127.0.0.1:8080/realms/demo'
const COGNITO = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'
const FIREBASE = 'https://securetoken.google.com/demo-project'

const now = () => Math.floor(Date.now() / 1000)

/** One identity provider: its key pair, its JWKS path, and a token maker. */
interface Provider {
  iss: string
  keys: Keys
  kid: string
  path: string
  sign(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>
}

async function provider(iss: string, path: string, header: Record<string, unknown>): Promise<Provider> {
  const keys = await generateKeyPair('RS256', { extractable: true })
  const kid = `${path}-key`
  return {
    iss,
    keys,
    kid,
    path,
    sign: (payload, extra = {}) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid, ...header, ...extra } as { alg: string })
        .sign(keys.privateKey),
  }
}

describe("verifyProfile 'jwt': tokens from other identity providers", () => {
  let server: Server
  let base: string
  const fetched: Record<string, number> = {}
  const sets: Record<string, { keys: JWK[] }> = {}
  let auth0: Provider
  let keycloak: Provider
  let cognito: Provider
  let firebase: Provider
  const url = (p: Provider) => `${base}/${p.path}/jwks.json`

  beforeAll(async () => {
    // Auth0's and Firebase's default access / ID tokens: typ JWT. Keycloak: typ JWT. Cognito: no typ.
    auth0 = await provider(AUTH0, 'auth0', { typ: 'JWT' })
    keycloak = await provider(KEYCLOAK, 'keycloak', { typ: 'JWT' })
    cognito = await provider(COGNITO, 'cognito', {})
    firebase = await provider(FIREBASE, 'firebase', { typ: 'JWT' })
    for (const p of [auth0, keycloak, cognito, firebase])
      sets[p.path] = {
        keys: [{ ...(await exportJWK(p.keys.publicKey)), kid: p.kid, alg: 'RS256', use: 'sig' }],
      }
    server = createServer((req, res) => {
      const path = req.url?.split('/')[1] ?? ''
      fetched[path] = (fetched[path] ?? 0) + 1
      if (!sets[path]) {
        res.statusCode = 404
        res.end()
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(sets[path]))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const auth0Token = () =>
    auth0.sign({
      iss: AUTH0,
      sub: 'auth0|64f1c0ffee',
      aud: ['https://api.example.com', `${AUTH0}userinfo`],
      iat: now(),
      exp: now() + 86400,
      azp: 'Xk2client',
      scope: 'openid profile read:messages',
      permissions: ['read:messages'],
    })
  const keycloakToken = (extra: Record<string, unknown> = {}) =>
    keycloak.sign({
      exp: now() + 300,
      iat: now(),
      jti: 'onrtac:5f1d1a3e-8a3b-4c55-9a77-0c1f7a0e4b11',
      iss: KEYCLOAK,
      aud: 'account',
      sub: 'f3a1c6e2-5b8d-4e0f-9c1a-2d3e4f5a6b7c',
      typ: 'Bearer',
      azp: 'web',
      realm_access: { roles: ['offline_access', 'uma_authorization'] },
      scope: 'openid email profile',
      preferred_username: 'alice',
      ...extra,
    })
  const cognitoToken = () =>
    cognito.sign({
      sub: '7c1e8d3a-2b4f-4e6a-9d0c-1a2b3c4d5e6f',
      'cognito:groups': ['admins'],
      iss: COGNITO,
      client_id: '3n4b5urk1ft4fl3mg5e62d9ado',
      origin_jti: '1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718',
      event_id: 'e1f2a3b4',
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: now(),
      exp: now() + 3600,
      iat: now(),
      jti: 'a9b8c7d6-e5f4-4321-9876-0fedcba98765',
      username: 'alice',
    })
  const firebaseToken = (sub = 'Xy12AbCdEfGhIjKlMnOpQrStUv34') =>
    firebase.sign({
      iss: FIREBASE,
      aud: 'demo-project',
      auth_time: now(),
      user_id: sub,
      sub,
      iat: now(),
      exp: now() + 3600,
      email: 'alice@example.com',
      firebase: { identities: { email: ['alice@example.com'] }, sign_in_provider: 'password' },
    })

  it('accepts Auth0, Keycloak, Cognito and Firebase tokens, each from its own JWKS', async () => {
    const auth = createAuth({
      verifyProfile: 'jwt',
      issuer: [AUTH0, KEYCLOAK, COGNITO, FIREBASE],
      jwks: {
        [AUTH0]: url(auth0),
        [KEYCLOAK]: url(keycloak),
        [COGNITO]: url(cognito),
        [FIREBASE]: url(firebase),
      },
    })
    const ctx = await auth.authenticate({ authorization: `Bearer ${await auth0Token()}` })
    expect(ctx.claims.sub).toBe('auth0|64f1c0ffee')
    expect(ctx.scopes).toEqual(['openid', 'profile', 'read:messages'])
    auth.authorize(ctx, { scopes: ['read:messages'], permissions: ['read:messages'] })
    expect((await auth.verifyAccessToken(await keycloakToken())).preferred_username).toBe('alice')
    expect((await auth.verifyAccessToken(await cognitoToken())).token_use).toBe('access')
    expect((await auth.verifyAccessToken(await firebaseToken())).user_id).toBeDefined()
    for (const p of [auth0, keycloak, cognito, firebase]) expect(fetched[p.path]).toBe(1)
  })

  it("rejects them under the default profile 'rfc9068' (typ, jti)", async () => {
    const strict = createAuth({ jwks: url(auth0), issuer: AUTH0 })
    expect(await codeOf(strict.verifyAccessToken(await auth0Token()))).toBe('token_wrong_type')
    const untyped = createAuth({ jwks: url(cognito), issuer: COGNITO })
    expect(await codeOf(untyped.verifyAccessToken(await cognitoToken()))).toBe('token_wrong_type')
    const at = await auth0.sign({ iss: AUTH0, sub: 'u', iat: now(), exp: now() + 60 }, { typ: 'at+jwt' })
    expect(await codeOf(strict.verifyAccessToken(at))).toBe('token_claim_invalid') // no jti
  })

  it('checks the issuer BEFORE choosing its key set: a foreign iss is refused without a fetch', async () => {
    const auth = createAuth({
      verifyProfile: 'jwt',
      issuer: [AUTH0, FIREBASE],
      jwks: { [AUTH0]: url(auth0), [FIREBASE]: url(firebase) },
    })
    const before = { ...fetched }
    // Signed by Keycloak, claiming a Keycloak issuer: not ours, and no request goes out.
    const err = await auth.verifyAccessToken(await keycloakToken()).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'token_claim_invalid', claim: 'iss' })
    expect(fetched).toEqual(before)
    // Claiming Auth0 but signed by Firebase's key: Auth0's set cannot verify it.
    const forged = await firebase.sign(
      { iss: AUTH0, sub: 'admin', aud: 'x', iat: now(), exp: now() + 60 },
      { kid: auth0.kid },
    )
    expect(await codeOf(auth.verifyAccessToken(forged))).toBe('token_invalid')
    const forgedKid = await firebase.sign({ iss: AUTH0, sub: 'admin', iat: now(), exp: now() + 60 })
    expect(await codeOf(auth.verifyAccessToken(forgedKid))).toBe('token_invalid')
    // And each issuer's own token still passes.
    expect((await auth.verifyAccessToken(await auth0Token())).iss).toBe(AUTH0)
    expect((await auth.verifyAccessToken(await firebaseToken())).iss).toBe(FIREBASE)
  })

  it('never accepts a refresh or one-time token, or another explicit type, as an access token', async () => {
    const auth = createAuth({ verifyProfile: 'jwt', jwks: url(keycloak) })
    const claims = { iss: KEYCLOAK, sub: 'u', jti: 'j', fid: 'f', pur: 'reset', iat: now(), exp: now() + 60 }
    for (const typ of ['refresh+jwt', 'ott+jwt', 'dpop+jwt', 'logout+jwt', 'application/refresh+jwt'])
      expect(await codeOf(auth.verifyAccessToken(await keycloak.sign(claims, { typ })))).toBe(
        'token_wrong_type',
      )
    for (const typ of ['JWT', 'jwt', 'at+jwt', 'application/at+jwt', 'application/jwt'])
      expect((await auth.verifyAccessToken(await keycloak.sign(claims, { typ }))).sub).toBe('u')
    expect((await auth.verifyAccessToken(await keycloak.sign(claims, { typ: undefined }))).sub).toBe('u')
  })

  it('still requires exp, iat and sub, and checks aud when configured', async () => {
    const auth = createAuth({ verifyProfile: 'jwt', jwks: url(firebase), audience: 'demo-project' })
    const base = { iss: FIREBASE, aud: 'demo-project', sub: 'u', iat: now(), exp: now() + 60 }
    for (const missing of ['exp', 'iat', 'sub']) {
      const { [missing]: _, ...rest } = base as Record<string, unknown>
      expect(await codeOf(auth.verifyAccessToken(await firebase.sign(rest)))).toBe('token_claim_invalid')
    }
    expect(await codeOf(auth.verifyAccessToken(await firebase.sign({ ...base, aud: 'other' })))).toBe(
      'token_claim_invalid',
    )
    expect(await codeOf(auth.verifyAccessToken(await firebase.sign({ ...base, jti: 42 })))).toBe(
      'token_claim_invalid',
    )
    expect(await codeOf(auth.verifyAccessToken(await firebase.sign({ ...base, exp: now() - 60 })))).toBe(
      'token_expired',
    )
  })

  it('revokes by jti when there is one, else by the SHA-256 of the token', async () => {
    const auth = createAuth({
      verifyProfile: 'jwt',
      issuer: [KEYCLOAK, FIREBASE],
      jwks: { [KEYCLOAK]: url(keycloak), [FIREBASE]: url(firebase) },
    })
    const noJti = await firebaseToken()
    const withJti = await keycloakToken()
    await auth.verifyAccessToken(noJti) // cached: revocation must still apply
    await auth.revoke(noJti)
    expect(await codeOf(auth.verifyAccessToken(noJti))).toBe('token_revoked')
    expect(await codeOf(auth.authenticate({ authorization: `Bearer ${noJti}` }))).toBe('token_revoked')
    // Another token of the same user, issued in the same second, is not touched.
    const claims = JSON.parse(Buffer.from(noJti.split('.')[1]!, 'base64url').toString())
    expect((await auth.verifyAccessToken(await firebase.sign({ ...claims, email_verified: true }))).sub).toBe(
      claims.sub,
    )

    await auth.revoke(withJti)
    expect(await codeOf(auth.verifyAccessToken(withJti))).toBe('token_revoked')
    // Another token carrying the same jti is the same token as far as revocation goes.
    expect(await codeOf(auth.verifyAccessToken(await keycloakToken({ azp: 'other' })))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(await keycloakToken({ jti: 'another' }))).sub).toBeDefined()
  })

  it('applies revokeSubject to third-party tokens (to the second)', async () => {
    let t = Date.now()
    const auth = createAuth({ verifyProfile: 'jwt', jwks: url(firebase), now: () => t })
    const token = await firebaseToken('victim')
    t += 1000
    await auth.revokeSubject('victim')
    expect(await codeOf(auth.verifyAccessToken(token))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(await firebaseToken('bystander'))).sub).toBe('bystander')
  })

  it('asks a keyResolver by kid, alg and the (configured) iss, and uses what it returns', async () => {
    const asked: KeyResolverInput[] = []
    const jwk = sets.auth0!.keys[0]!
    const events: AuthEvent[] = []
    const auth = createAuth({
      verifyProfile: 'jwt',
      issuer: [AUTH0, KEYCLOAK],
      audience: 'https://api.example.com',
      onEvent: (e) => {
        events.push(e)
      },
      keyResolver: async (input) => {
        asked.push(input)
        if (input.iss === AUTH0 && input.kid === auth0.kid) return jwk
        if (input.kid === 'boom') throw new Error('key store down')
        if (input.kid === 'ec') return (await generateKeyPair('ES256')).publicKey
        return null
      },
    })
    expect((await auth.verifyAccessToken(await auth0Token())).sub).toBe('auth0|64f1c0ffee')
    expect(asked).toEqual([{ kid: auth0.kid, alg: 'RS256', iss: AUTH0 }])
    // An issuer outside `issuer` is refused before the resolver is asked.
    const outsider = await cognito.sign({
      iss: COGNITO,
      sub: 'u',
      aud: 'https://api.example.com',
      iat: now(),
      exp: now() + 60,
    })
    expect(await codeOf(auth.verifyAccessToken(outsider))).toBe('token_claim_invalid')
    expect(asked).toHaveLength(1)
    // null: no key (token_invalid); a key of another type: token_invalid, never a crash.
    const claims = { iss: KEYCLOAK, sub: 'u', aud: 'https://api.example.com', iat: now(), exp: now() + 60 }
    expect(
      await codeOf(auth.verifyAccessToken(await keycloakToken({ aud: 'https://api.example.com' }))),
    ).toBe('token_invalid')
    expect(await codeOf(auth.verifyAccessToken(await keycloak.sign(claims, { kid: 'ec' })))).toBe(
      'token_invalid',
    )
    // The resolver's own failure is the app's: it reaches the framework (500) and an error event.
    await expect(auth.verifyAccessToken(await keycloak.sign(claims, { kid: 'boom' }))).rejects.toThrow(
      'key store down',
    )
    expect(events.some((e) => e.type === 'error' && e.source === 'keyResolver')).toBe(true)
    // Auth0's key does not verify a token signed by another key under its kid.
    const forged = await keycloak.sign({ ...claims, iss: AUTH0 }, { kid: auth0.kid })
    expect(await codeOf(auth.verifyAccessToken(forged))).toBe('token_invalid')
  })

  it('is for verify-only configurations, and warns when no audience is configured', async () => {
    expect(() =>
      createAuth({ verifyProfile: 'jwt', secret: 'a-secret-that-is-at-least-32-bytes!!' }),
    ).toThrow(/verify-only configurations.*not `secret` or a private key/s)
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    expect(() =>
      createAuth({ verifyProfile: 'jwt', keys: [{ kid: 'k', alg: 'ES256', key: privateKey }] }),
    ).toThrow(/verify-only/)
    expect(() => createAuth({ verifyProfile: 'JWT' as never, jwks: url(auth0) })).toThrow(
      "`verifyProfile` must be 'rfc9068' or 'jwt'",
    )
    const events: AuthEvent[] = []
    const auth = createAuth({
      verifyProfile: 'jwt',
      keys: [{ kid: 'k', alg: 'ES256', key: publicKey }],
      onEvent: (e) => {
        events.push(e)
      },
    })
    expect(events).toEqual([
      expect.objectContaining({ type: 'warning', message: expect.stringMatching(/audience/) }),
    ])
    const token = await new SignJWT({ sub: 'u', iat: now(), exp: now() + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'JWT' })
      .sign(privateKey)
    expect((await auth.verifyAccessToken(token)).sub).toBe('u')
    await expect(auth.issueTokens({ sub: 'u' })).rejects.toThrow(/verify-only/)
  })

  it('checks the issuer list and the key sets by issuer at construction', () => {
    const a = 'https://a.example'
    const b = 'https://b.example'
    expect(() => createAuth({ jwks: { [a]: 'https://a.example/jwks' } })).toThrow(
      /`jwks` by issuer needs `issuer` listing the same issuers/,
    )
    expect(() => createAuth({ issuer: [a, b], jwks: { [a]: 'https://a.example/jwks' } })).toThrow(
      `issuer '${b}' has no key set`,
    )
    expect(() => createAuth({ issuer: [a], jwks: { [a]: 'https://a/j', [b]: 'https://b/j' } })).toThrow(
      /names an issuer that `issuer` does not list/,
    )
    expect(() => createAuth({ issuer: [a], jwks: { [a]: 'not a url' } })).toThrow(/must be an http\(s\) URL/)
    expect(() => createAuth({ issuer: [], jwks: 'https://a/j' })).toThrow('`issuer` must be')
    expect(() => createAuth({ issuer: [a, a], jwks: 'https://a/j' })).toThrow('lists an issuer twice')
    expect(() => createAuth({ keyResolver: 'nope' as never })).toThrow('`keyResolver` must be a function')
    expect(() => createAuth({ keyResolver: () => null, jwks: 'https://a/j' })).toThrow(
      'give exactly one of `secret`, `keys`, `jwks` or `keyResolver`',
    )
    expect(() => createAuth({ keyResolvr: () => null } as never)).toThrow('did you mean `keyResolver`?')
  })
})
