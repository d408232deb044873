/**
 * Tokens tokenward issues, verified by software nobody on the team wrote: jose (`jwtVerify` with
 * `typ` and `maxTokenAge`), fast-jwt, jsonwebtoken and PyJWT (Debian python3-jwt, leeway 0) — and
 * tokens those libraries make, verified by tokenward under `verifyProfile: 'jwt'`.
 */
import { createSigner, createVerifier } from 'fast-jwt'
import { type CryptoKey, createLocalJWKSet, exportPKCS8, exportSPKI, generateKeyPair, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Auth, createAuth, type TokenPair } from '../../src/index.js'
import { codeOf, SECRET } from '../helpers.js'
import { pyjwt, pyjwtVersion } from './pyjwt.js'

const ISSUER = 'https://tokenward.test'
const AUDIENCE = 'api'
const ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const
type Alg = (typeof ALGS)[number]

interface Setup {
  alg: Alg
  auth: Auth
  pair: TokenPair
  ott: string
  /** What a verifier needs: the HMAC secret, or the public key (CryptoKey and PEM). */
  verifyKey: CryptoKey | Uint8Array
  verifyPem: string
  /** For tokens the other libraries sign (asymmetric only). */
  privatePem: string | undefined
  publicKey: CryptoKey | undefined
}

async function setup(alg: Alg): Promise<Setup> {
  if (alg === 'HS256') {
    const auth = createAuth({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE })
    return {
      alg,
      auth,
      pair: await auth.issueTokens({ sub: 'u1', roles: ['admin'], scope: 'users:read' }),
      ott: await auth.issueOneTimeToken('reset', 'u1'),
      verifyKey: new TextEncoder().encode(SECRET),
      verifyPem: SECRET,
      privatePem: undefined,
      publicKey: undefined,
    }
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const auth = createAuth({
    keys: [{ kid: `k-${alg}`, alg, key: privateKey }],
    issuer: ISSUER,
    audience: AUDIENCE,
  })
  return {
    alg,
    auth,
    pair: await auth.issueTokens({ sub: 'u1', roles: ['admin'], scope: 'users:read' }),
    ott: await auth.issueOneTimeToken('reset', 'u1'),
    verifyKey: publicKey,
    verifyPem: await exportSPKI(publicKey),
    privatePem: await exportPKCS8(privateKey),
    publicKey,
  }
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

describe.each(ALGS)('tokens tokenward issues (%s), verified by other libraries', (alg) => {
  let s: Setup
  let iat: number
  beforeAll(async () => {
    s = await setup(alg)
    iat = claimsOf(s.pair.accessToken).iat
  })

  it('carry whole-second NumericDates', () => {
    for (const token of [s.pair.accessToken, s.pair.refreshToken, s.ott]) {
      const { iat, exp } = claimsOf(token)
      expect(Number.isInteger(iat) && Number.isInteger(exp)).toBe(true)
    }
  })

  it('jose jwtVerify: typ at+jwt and maxTokenAge, at the very start of the issue second', async () => {
    // jose reads "now" in whole seconds: a fractional iat is "in the future" for the rest of its second.
    const { payload, protectedHeader } = await jwtVerify(s.pair.accessToken, s.verifyKey, {
      typ: 'at+jwt',
      maxTokenAge: '15m',
      clockTolerance: 0,
      currentDate: new Date(iat * 1000),
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [alg],
      requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti'],
    })
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload).toMatchObject({ sub: 'u1', roles: ['admin'], scope: 'users:read' })
    // RFC 9068 explicit typing works for jose too: a refresh token is not an access token.
    await expect(jwtVerify(s.pair.refreshToken, s.verifyKey, { typ: 'at+jwt' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'typ',
    })
  })

  it.skipIf(alg === 'HS256')(
    'jose: through the JWK Set tokenward publishes (await auth.jwks())',
    async () => {
      const keySet = createLocalJWKSet(await s.auth.jwks())
      const { payload } = await jwtVerify(s.pair.accessToken, keySet, { typ: 'at+jwt', maxTokenAge: '15m' })
      expect(payload.sub).toBe('u1')
    },
  )

  it('fast-jwt createVerifier with maxAge', () => {
    const verify = createVerifier({
      key: s.verifyPem,
      algorithms: [alg],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti'],
      maxAge: 15 * 60 * 1000,
      clockTolerance: 0,
      clockTimestamp: iat * 1000,
      complete: true,
    })
    const { payload, header } = verify(s.pair.accessToken)
    expect(header.typ).toBe('at+jwt')
    expect(payload.sub).toBe('u1')
  })

  it.skipIf(alg === 'EdDSA')('jsonwebtoken verify with maxAge (it has no EdDSA)', () => {
    const payload = jsonwebtoken.verify(s.pair.accessToken, s.verifyPem, {
      algorithms: [alg as jsonwebtoken.Algorithm],
      issuer: ISSUER,
      audience: AUDIENCE,
      maxAge: '15m',
      clockTolerance: 0,
      clockTimestamp: iat,
    }) as jsonwebtoken.JwtPayload
    expect(payload.sub).toBe('u1')
    expect(payload.iat).toBe(iat)
  })
})

describe('PyJWT (Debian python3-jwt)', () => {
  it.runIf(!pyjwtVersion && process.env.CI)(
    'is installed under CI (.ci/run: apt-get install python3-jwt)',
    () => {
      throw new Error('PyJWT is missing: apt-get install python3-jwt python3-cryptography')
    },
  )

  describe.skipIf(!pyjwtVersion)(`PyJWT ${pyjwtVersion ?? '(missing: skipped)'}`, () => {
    let setups: Setup[]
    beforeAll(async () => {
      setups = await Promise.all(ALGS.map(setup))
    })

    it('decodes every access, refresh and one-time token tokenward issues, with leeway 0', () => {
      // A fractional iat failed here as "The token is not yet valid (iat)" for the rest of its second.
      const jobs = setups.flatMap((s) =>
        [s.pair.accessToken, s.pair.refreshToken, s.ott].map((token) => ({
          op: 'decode' as const,
          token,
          key: s.verifyPem,
          alg: s.alg,
          audience: AUDIENCE,
          issuer: ISSUER,
          require: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti'],
        })),
      )
      const results = pyjwt(jobs)
      results.forEach((result, i) => {
        expect(result, `${jobs[i]!.alg} token ${i % 3}`).toMatchObject({ ok: true })
        if (result.ok) {
          expect(result.claims?.sub).toBe('u1')
          expect(Number.isInteger(result.claims?.iat)).toBe(true)
        }
      })
      expect(results.map((r) => r.ok && r.header?.typ)).toEqual(
        setups.flatMap(() => ['at+jwt', 'refresh+jwt', 'ott+jwt']),
      )
    })

    it('rejects a tampered token (the check is real)', () => {
      const s = setups[0]!
      const [h, p, sig] = s.pair.accessToken.split('.')
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(s.pair.accessToken), sub: 'admin' })).toString('base64url')}.${sig}`
      expect(p).not.toBe(forged.split('.')[1])
      const [result] = pyjwt([
        { op: 'decode', token: forged, key: s.verifyPem, alg: s.alg, audience: AUDIENCE, issuer: ISSUER },
      ])
      expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/InvalidSignatureError/) })
    })

    it("signs tokens (typ JWT, no jti) that tokenward accepts under verifyProfile 'jwt' only", async () => {
      const asymmetric = setups.filter((s) => s.privatePem !== undefined)
      const now = Math.floor(Date.now() / 1000)
      const results = pyjwt(
        asymmetric.map((s) => ({
          op: 'encode' as const,
          payload: { iss: 'https://py.example', sub: `py-${s.alg}`, aud: AUDIENCE, iat: now, exp: now + 60 },
          key: s.privatePem!,
          alg: s.alg,
          headers: { kid: `py-${s.alg}` },
        })),
      )
      for (const [i, s] of asymmetric.entries()) {
        const result = results[i]!
        expect(result).toMatchObject({ ok: true })
        const token = (result as { token: string }).token
        const keys = [{ kid: `py-${s.alg}`, alg: s.alg, key: s.verifyPem }] as const
        const thirdParty = createAuth({
          verifyProfile: 'jwt',
          keys: [...keys],
          issuer: 'https://py.example',
          audience: AUDIENCE,
        })
        expect((await thirdParty.verifyAccessToken(token)).sub).toBe(`py-${s.alg}`)
        const strict = createAuth({ keys: [...keys] })
        expect(await codeOf(strict.verifyAccessToken(token))).toBe('token_wrong_type')
      }
    })
  })
})

describe("tokens jsonwebtoken and fast-jwt sign (typ JWT, no jti), under verifyProfile 'jwt'", () => {
  it('verifies them with public keys, and revokes them by their hash', async () => {
    const rs = await setup('RS256')
    const ed = await setup('EdDSA')
    const now = Math.floor(Date.now() / 1000)
    const fromJsonwebtoken = jsonwebtoken.sign({ sub: 'jw', aud: AUDIENCE, exp: now + 60 }, rs.privatePem!, {
      algorithm: 'RS256',
      keyid: 'rs',
      issuer: 'https://idp.example',
    })
    const fromFastJwt = createSigner({
      key: ed.privatePem!,
      algorithm: 'EdDSA',
      kid: 'ed',
      iss: 'https://idp.example',
    })({
      sub: 'fj',
      aud: AUDIENCE,
      exp: now + 60,
    })
    const auth = createAuth({
      verifyProfile: 'jwt',
      issuer: 'https://idp.example',
      audience: AUDIENCE,
      keys: [
        { kid: 'rs', alg: 'RS256', key: rs.verifyPem },
        { kid: 'ed', alg: 'EdDSA', key: ed.verifyPem },
      ],
    })
    expect((await auth.verifyAccessToken(fromJsonwebtoken)).sub).toBe('jw')
    expect((await auth.verifyAccessToken(fromFastJwt)).sub).toBe('fj')
    await auth.revoke(fromJsonwebtoken)
    expect(await codeOf(auth.verifyAccessToken(fromJsonwebtoken))).toBe('token_revoked')
    expect((await auth.verifyAccessToken(fromFastJwt)).sub).toBe('fj')
  })
})
