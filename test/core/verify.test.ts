import fc from 'fast-check'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { AUTH_ERROR_STATUS, AuthError, createAuth, memoryStore, type TokenStore } from '../../src/index.js'
import { b64, clock, codeOf, SECRET } from '../helpers.js'

describe('verification rules (RFC 8725)', () => {
  const auth = createAuth({ secret: SECRET, issuer: 'https://api', audience: 'api' })
  const secretKey = new TextEncoder().encode(SECRET)
  const sign = (
    claims: Record<string, unknown>,
    header: Record<string, unknown> = { alg: 'HS256', typ: 'at+jwt' },
  ) => new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(secretKey)
  const now = () => Math.floor(Date.now() / 1000)
  const good = () => ({ iss: 'https://api', aud: 'api', sub: 'u1', jti: 'j1', iat: now(), exp: now() + 60 })

  it('accepts its own access token, and typ application/at+jwt', async () => {
    const pair = await auth.issueTokens({ sub: 'u1' })
    expect((await auth.verifyAccessToken(pair.accessToken)).sub).toBe('u1')
    expect(
      (await auth.verifyAccessToken(await sign(good(), { alg: 'HS256', typ: 'application/at+jwt' }))).sub,
    ).toBe('u1')
  })

  it('rejects alg none (token_invalid)', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(good())}.`
    expect(await codeOf(auth.verifyAccessToken(token))).toBe('token_malformed') // empty signature
    const withSig = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(good())}.AAAA`
    expect(await codeOf(auth.verifyAccessToken(withSig))).toBe('token_invalid')
  })

  it('rejects an HMAC token signed with the public key against asymmetric keys (algorithm confusion)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    const rsa = createAuth({ keys: [{ kid: 'k1', alg: 'RS256', key: privateKey }] })
    await rsa.ready()
    const pem = new TextEncoder().encode(await exportSPKI(publicKey))
    const forged = await new SignJWT(good())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
      .sign(pem)
    expect(await codeOf(rsa.verifyAccessToken(forged))).toBe('token_invalid')
  })

  it('ignores embedded jwk, jku and x5u headers', async () => {
    const attacker = await generateKeyPair('ES256', { extractable: true })
    const jwk = await exportJWK(attacker.publicKey)
    const es = createAuth({
      keys: [
        { kid: 'k1', alg: 'ES256', key: (await generateKeyPair('ES256', { extractable: true })).privateKey },
      ],
    })
    for (const extra of [{ jwk }, { jku: 'http://127.0.0.1:1/jwks' }, { x5u: 'http://127.0.0.1:1/cert' }]) {
      const token = await new SignJWT(good())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...extra })
        .sign(attacker.privateKey)
      expect(await codeOf(es.verifyAccessToken(token))).toBe('token_invalid')
    }
  })

  it('rejects an unknown crit header and b64:false (token_malformed)', async () => {
    const [, payload, sig] = (await sign(good())).split('.')
    const crit = `${b64({ alg: 'HS256', typ: 'at+jwt', crit: ['exp2'], exp2: 1 })}.${payload}.${sig}`
    expect(await codeOf(auth.verifyAccessToken(crit))).toBe('token_malformed')
    expect(
      await codeOf(
        auth.verifyAccessToken(
          `${b64({ alg: 'HS256', typ: 'at+jwt', b64: false, crit: ['b64'] })}.${payload}.${sig}`,
        ),
      ),
    ).toBe('token_malformed')
  })

  it('rejects a tampered payload, a stripped signature and another key (token_invalid / token_malformed)', async () => {
    const token = await sign(good())
    const [h, , s] = token.split('.')
    expect(await codeOf(auth.verifyAccessToken(`${h}.${b64({ ...good(), sub: 'admin' })}.${s}`))).toBe(
      'token_invalid',
    )
    expect(await codeOf(auth.verifyAccessToken(`${h}.${token.split('.')[1]}.`))).toBe('token_malformed')
    const other = await new SignJWT(good())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('another-secret-that-is-32-bytes-long!!'))
    expect(await codeOf(auth.verifyAccessToken(other))).toBe('token_invalid')
  })

  it('rejects base64url with non-zero unused trailing bits or an impossible length (token_malformed)', async () => {
    const token = (await auth.issueTokens({ sub: 'u1' })).accessToken
    const parts = token.split('.') as [string, string, string]
    // A lenient decoder ignores the unused low bits of a segment's last character, so several
    // spellings decode to the same bytes — the signature would still verify.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const respell = (segment: string) => {
      const unused = segment.length % 4 === 2 ? 4 : 2
      const last = alphabet.indexOf(segment.at(-1)!)
      return segment.slice(0, -1) + alphabet[last | ((1 << unused) - 1)]
    }
    for (const i of [0, 1, 2]) {
      if (parts[i]!.length % 4 === 0) continue
      const spelled = parts.map((p, j) => (j === i ? respell(p) : p))
      expect(Buffer.from(spelled[i]!, 'base64url')).toEqual(Buffer.from(parts[i]!, 'base64url'))
      expect(await codeOf(auth.verifyAccessToken(spelled.join('.')))).toBe('token_malformed')
    }
    // 4n + 1 characters never encode whole bytes.
    const extra = 'AAA'.slice(0, (5 - (parts[2].length % 4)) % 4)
    const long = `${parts[0]}.${parts[1]}.${parts[2]}${extra}`
    expect(long.split('.')[2]!.length % 4).toBe(1)
    expect(await codeOf(auth.verifyAccessToken(long))).toBe('token_malformed')
    expect((await auth.verifyAccessToken(token)).sub).toBe('u1')
  })

  it('rejects an unknown kid (token_invalid)', async () => {
    expect(
      await codeOf(auth.verifyAccessToken(await sign(good(), { alg: 'HS256', typ: 'at+jwt', kid: 'nope' }))),
    ).toBe('token_invalid')
  })

  it('applies exp and nbf with and without clock tolerance', async () => {
    const c = clock()
    const strict = createAuth({ secret: SECRET, now: c.now, clockTolerance: 0 })
    const lenient = createAuth({ secret: SECRET, now: c.now, clockTolerance: '5s' })
    const pair = await strict.issueTokens({ sub: 'u1' })
    c.advance(900)
    expect(await codeOf(strict.verifyAccessToken(pair.accessToken))).toBe('token_expired')
    expect((await lenient.verifyAccessToken(pair.accessToken)).sub).toBe('u1')
    c.advance(5)
    expect(await codeOf(lenient.verifyAccessToken(pair.accessToken))).toBe('token_expired')
    const t = c.now() / 1000
    const nbf = await new SignJWT({ sub: 'u', jti: 'j', iat: t, exp: t + 60, nbf: t + 3 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(secretKey)
    expect(await codeOf(strict.verifyAccessToken(nbf))).toBe('token_not_active')
    expect((await lenient.verifyAccessToken(nbf)).sub).toBe('u')
    const future = await new SignJWT({ sub: 'u', jti: 'j', iat: t + 60, exp: t + 120 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(secretKey)
    expect(await codeOf(lenient.verifyAccessToken(future))).toBe('token_not_active')
  })

  it('requires exp, sub and jti (token_claim_invalid)', async () => {
    const { exp: _e, ...noExp } = good()
    expect(await codeOf(auth.verifyAccessToken(await sign(noExp)))).toBe('token_claim_invalid')
    const { sub: _s, ...noSub } = good()
    expect(await codeOf(auth.verifyAccessToken(await sign(noSub)))).toBe('token_claim_invalid')
    const { jti: _j, ...noJti } = good()
    expect(await codeOf(auth.verifyAccessToken(await sign(noJti)))).toBe('token_claim_invalid')
  })

  it('checks iss and aud (token_claim_invalid); an aud array containing ours passes', async () => {
    expect(await codeOf(auth.verifyAccessToken(await sign({ ...good(), iss: 'https://evil' })))).toBe(
      'token_claim_invalid',
    )
    expect(await codeOf(auth.verifyAccessToken(await sign({ ...good(), aud: 'other' })))).toBe(
      'token_claim_invalid',
    )
    expect((await auth.verifyAccessToken(await sign({ ...good(), aud: ['other', 'api'] }))).sub).toBe('u1')
  })

  it('trusts every issuer of an issuer list, and issues as the first', async () => {
    const moved = createAuth({ secret: SECRET, issuer: ['https://new', 'https://api'], audience: 'api' })
    const pair = await moved.issueTokens({ sub: 'u1' })
    expect((await moved.verifyAccessToken(pair.accessToken)).iss).toBe('https://new')
    expect((await moved.verifyAccessToken(await sign(good()))).iss).toBe('https://api')
    expect(await codeOf(moved.verifyAccessToken(await sign({ ...good(), iss: 'https://evil' })))).toBe(
      'token_claim_invalid',
    )
    const { iss: _i, ...noIss } = good()
    expect(await codeOf(moved.verifyAccessToken(await sign(noIss)))).toBe('token_claim_invalid')
  })

  it('never accepts one token kind as another (token_wrong_type)', async () => {
    const pair = await auth.issueTokens({ sub: 'u1' })
    const ott = await auth.issueOneTimeToken('reset', 'u1')
    expect(await codeOf(auth.verifyAccessToken(pair.refreshToken))).toBe('token_wrong_type')
    expect(await codeOf(auth.verifyAccessToken(ott))).toBe('token_wrong_type')
    expect(await codeOf(auth.verifyRefreshToken(pair.accessToken))).toBe('token_wrong_type')
    expect(await codeOf(auth.refresh(ott))).toBe('token_wrong_type')
    expect(await codeOf(auth.consumeOneTimeToken(pair.accessToken, 'reset'))).toBe('token_wrong_type')
    expect(await codeOf(auth.consumeOneTimeToken(pair.refreshToken, 'reset'))).toBe('token_wrong_type')
  })

  it('rejects a JWT signed with the same secret but without our typ (token_wrong_type)', async () => {
    expect(await codeOf(auth.verifyAccessToken(await sign(good(), { alg: 'HS256', typ: 'JWT' })))).toBe(
      'token_wrong_type',
    )
    expect(await codeOf(auth.verifyAccessToken(await sign(good(), { alg: 'HS256' })))).toBe(
      'token_wrong_type',
    )
  })

  it('rejects oversized, non-string and garbage input (token_malformed)', async () => {
    expect(await codeOf(auth.verifyAccessToken(`${'a'.repeat(9000)}.b.c`))).toBe('token_malformed')
    for (const input of [
      undefined,
      null,
      42,
      {},
      Buffer.from('x'),
      '',
      'a.b',
      'a.b.c.d',
      '!!.??.**',
      `${b64('[1]')}.${b64('{}')}.AAAA`,
    ]) {
      expect(await codeOf(auth.verifyAccessToken(input as string))).toBe('token_malformed')
    }
  })

  it('refuses HMAC secrets shorter than the hash at creation', () => {
    expect(() => createAuth({ secret: 'short' })).toThrow(TypeError)
    expect(() => createAuth({ secret: 'x'.repeat(31) })).toThrow(/32 bytes/)
    expect(() => createAuth({ secret: 'x'.repeat(47), algorithm: 'HS384' })).toThrow(/48 bytes/)
    expect(() => createAuth({ secret: 'x'.repeat(63), algorithm: 'HS512' })).toThrow(/64 bytes/)
  })

  it('answers with the RFC 6750 WWW-Authenticate value and never echoes the token', async () => {
    const pair = await auth.issueTokens({ sub: 'u1' })
    try {
      await auth.verifyAccessToken(pair.refreshToken)
    } catch (err) {
      const e = err as AuthError
      expect(e.status).toBe(401)
      expect(e.wwwAuthenticate).toBe(
        'Bearer realm="tokenward", error="invalid_token", error_description="a refresh token cannot be used as an access token"',
      )
      expect(`${e.message}${e.wwwAuthenticate}`).not.toContain(pair.refreshToken.slice(0, 20))
    }
    try {
      await auth.authenticate({})
    } catch (err) {
      expect((err as AuthError).code).toBe('token_missing')
      expect((err as AuthError).wwwAuthenticate).toBe('Bearer realm="tokenward"')
    }
  })

  it('maps every error code to the status in DESIGN.md', () => {
    expect(AUTH_ERROR_STATUS).toMatchObject({
      token_missing: 401,
      token_malformed: 401,
      token_invalid: 401,
      token_expired: 401,
      token_not_active: 401,
      token_claim_invalid: 401,
      token_wrong_type: 401,
      token_revoked: 401,
      refresh_token_reused: 401,
      user_not_found: 401,
      invalid_credentials: 401,
      insufficient_role: 403,
      insufficient_scope: 403,
      invalid_request: 400,
      rate_limited: 429,
      store_unavailable: 503,
    })
  })
})

describe('fuzzing: random and mutated tokens never authenticate', () => {
  const auth = createAuth({ secret: SECRET })
  const codes = new Set(Object.keys(AUTH_ERROR_STATUS))

  it('random strings only ever throw AuthError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => {
        const code = await codeOf(auth.verifyAccessToken(s))
        expect(codes.has(code)).toBe(true)
      }),
      { numRuns: 500, seed: 42 },
    )
  })

  it('mutated valid tokens never verify', async () => {
    const pair = await auth.issueTokens({ sub: 'u1', roles: ['user'] })
    const token = pair.accessToken
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...'ABCabc012-_.=+/ '), async (pos, ch) => {
        const mutated = token.slice(0, pos) + ch + token.slice(pos + 1)
        fc.pre(mutated !== token)
        // Strict base64url: not even a flip of the unused bits in a segment's last character passes.
        const err = await auth.verifyAccessToken(mutated).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(AuthError)
      }),
      { numRuns: 500, seed: 7 },
    )
  })
})

describe('verify: revocation, store failures, keys', () => {
  it('checks revocation in one store call per request', async () => {
    const inner = memoryStore()
    let calls = 0
    const store: TokenStore = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver)
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              calls++
              return value.apply(target, args)
            }
          : value
      },
    })
    const auth = createAuth({ secret: SECRET, store })
    const pair = await auth.issueTokens({ sub: 'u1' })
    calls = 0
    await auth.verifyAccessToken(pair.accessToken)
    await auth.verifyAccessToken(pair.accessToken)
    expect(calls).toBe(2)
  })

  it('fails closed with store_unavailable (503) when the store is down', async () => {
    const down = new Error('connection refused')
    const store: TokenStore = {
      revoke: () => Promise.reject(down),
      isRevoked: () => Promise.reject(down),
      consume: () => Promise.reject(down),
      setCutoff: () => Promise.reject(down),
      getCutoff: () => Promise.reject(down),
      hit: () => Promise.reject(down),
    }
    const auth = createAuth({ secret: SECRET, store })
    const pair = await auth.issueTokens({ sub: 'u1' })
    expect(await codeOf(auth.verifyAccessToken(pair.accessToken))).toBe('store_unavailable')
    expect(await codeOf(auth.refresh(pair.refreshToken))).toBe('store_unavailable')

    // A synchronous store (TokenStore.isRevoked may return a boolean) that throws, or says "revoked".
    const throwing = createAuth({
      secret: SECRET,
      store: {
        ...store,
        isRevoked: () => {
          throw down
        },
      },
    })
    const header = { authorization: `Bearer ${pair.accessToken}` }
    expect(await codeOf(throwing.verifyAccessToken(pair.accessToken))).toBe('store_unavailable')
    expect(await codeOf(throwing.authenticate(header))).toBe('store_unavailable')
    const revoked = createAuth({ secret: SECRET, store: { ...store, isRevoked: () => true } })
    expect(await codeOf(revoked.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
    expect(await codeOf(revoked.authenticate(header))).toBe('token_revoked')
  })

  it('verifies asymmetric keys with rotation and publishes only public members', async () => {
    const old = await generateKeyPair('EdDSA', { extractable: true })
    const next = await generateKeyPair('ES256', { extractable: true })
    const before = createAuth({ keys: [{ kid: 'old', alg: 'EdDSA', key: old.privateKey }] })
    const token = (await before.issueTokens({ sub: 'u1' })).accessToken
    const after = createAuth({
      keys: [
        { kid: 'new', alg: 'ES256', key: next.privateKey },
        { kid: 'old', alg: 'EdDSA', key: old.privateKey },
      ],
    })
    await after.ready()
    expect((await after.verifyAccessToken(token)).sub).toBe('u1')
    const jwks = await after.jwks()
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(['new', 'old'])
    for (const k of jwks.keys)
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(secret)
    const removed = createAuth({ keys: [{ kid: 'new', alg: 'ES256', key: next.privateKey }] })
    expect(await codeOf(removed.verifyAccessToken(token))).toBe('token_invalid')
  })
})
