// DPoP (RFC 9449): proofs are made here by hand with jose — an implementation independent of
// tokenward's — and every check of RFC 9449 §4.3 is violated once.
import fc from 'fast-check'
import {
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JWK,
  type KeyObject,
  SignJWT,
} from 'jose'
import { describe, expect, it } from 'vitest'
import { authenticateThen } from '../../src/core/authenticate.js'
import {
  type AuthContext,
  AuthError,
  type AuthOptions,
  type CredentialsInput,
  createAuth,
  createAuthRoutes,
  memoryStore,
  type TokenStore,
} from '../../src/index.js'

const SECRET = 'dpop-test-secret-at-least-32-bytes-long!'
const API = 'https://api.example.com'
const json = { 'content-type': 'application/json' }

interface ProofKey {
  alg: string
  privateKey: CryptoKey | KeyObject
  jwk: JWK
}

async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { alg, privateKey, jwk: await exportJWK(publicKey) }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const sha256 = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')

interface ProofClaims {
  htm: string
  htu: string
  iat?: number
  jti?: string
  ath?: string
  nonce?: string
}

/** A DPoP proof as a client library would make it (RFC 9449 §4.2). */
async function makeProof(
  key: ProofKey,
  now: number,
  claims: ProofClaims,
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload = { jti: crypto.randomUUID(), iat: Math.floor(now / 1000), ...claims }
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...header } as never)
    .sign(key.privateKey)
}

/** An Auth with `dpop` (`'omit'`: the option left out) and the auth routes, on a test clock. */
function setup(dpop: AuthOptions['dpop'] | 'omit' = true) {
  const clock = { now: Date.UTC(2026, 0, 1, 12) }
  const store = memoryStore({ now: () => clock.now })
  const auth = createAuth({
    secret: SECRET,
    store,
    now: () => clock.now,
    ...(dpop === 'omit' ? {} : { dpop }),
  })
  const routes = createAuthRoutes(auth, {
    verifyCredentials: (username, password) =>
      username === 'ada' && password === 'pw' ? { id: 'u1', roles: ['admin'] } : null,
    rateLimit: false,
  })
  const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    routes.handle({
      method: 'POST',
      path,
      headers: { ...json, ...headers },
      body: JSON.stringify(body),
      address: '203.0.113.7',
      url: `${API}/auth${path}`,
    })
  const login = (headers: Record<string, string> = {}) =>
    post('/login', { username: 'ada', password: 'pw' }, headers)
  const proof = (key: ProofKey, claims: ProofClaims, header?: Record<string, unknown>) =>
    makeProof(key, clock.now, claims, header)
  /** A login bound to `key`: its tokens. */
  const boundLogin = async (key: ProofKey) => {
    const res = await login({ dpop: await proof(key, { htm: 'POST', htu: `${API}/auth/login` }) })
    expect(res?.status).toBe(200)
    return res!.body as { access_token: string; refresh_token: string; token_type: string }
  }
  /** A resource request: GET https://api.example.com/things. */
  const resource = (authorization: string, dpop?: string | string[], url = `${API}/things?page=2`) =>
    auth.authenticate({
      headers: { authorization, ...(dpop === undefined ? {} : { dpop }) },
      method: 'GET',
      url,
    } as CredentialsInput)
  /** A valid proof for the resource request with `token`. */
  const resourceProof = async (key: ProofKey, token: string, claims: Partial<ProofClaims> = {}) =>
    proof(key, { htm: 'GET', htu: `${API}/things`, ath: await sha256(token), ...claims })
  return { clock, store, auth, routes, post, login, proof, boundLogin, resource, resourceProof }
}

async function failure(pending: Promise<unknown>): Promise<AuthError> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  return err as AuthError
}

describe('DPoP token requests (RFC 9449 §5)', () => {
  it('is off by default: a proof header is ignored and the tokens are bearer tokens', async () => {
    const t = setup('omit')
    const key = await proofKey()
    const res = await t.login({ dpop: await t.proof(key, { htm: 'POST', htu: `${API}/auth/login` }) })
    const body = res!.body as { access_token: string; token_type: string }
    expect(body.token_type).toBe('bearer')
    expect(decodeJwt(body.access_token).cnf).toBeUndefined()
  })

  it('binds the access and the refresh token to the proof key (cnf.jkt, RFC 7638) and says token_type DPoP', async () => {
    const t = setup()
    const key = await proofKey()
    const body = await t.boundLogin(key)
    const jkt = await calculateJwkThumbprint(key.jwk, 'sha256')
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt })
    expect(decodeJwt(body.refresh_token).cnf).toEqual({ jkt })
  })

  it('without a proof, login gives bearer tokens when DPoP is optional', async () => {
    const t = setup()
    const body = (await t.login())!.body as { access_token: string; token_type: string }
    expect(body.token_type).toBe('bearer')
    expect(decodeJwt(body.access_token).cnf).toBeUndefined()
  })

  it('accepts EdDSA, RS256 and PS256 proof keys', async () => {
    const t = setup()
    for (const alg of ['EdDSA', 'RS256', 'PS256']) {
      const key = await proofKey(alg)
      const { access_token } = await t.boundLogin(key)
      const ctx = await t.resource(`DPoP ${access_token}`, await t.resourceProof(key, access_token))
      expect(ctx.claims.sub).toBe('u1')
    }
  })

  it('refuses a proof with ath on a token request', async () => {
    const t = setup()
    const key = await proofKey()
    const res = await t.login({
      dpop: await t.proof(key, { htm: 'POST', htu: `${API}/auth/login`, ath: await sha256('x') }),
    })
    expect(res?.status).toBe(401)
    expect(res?.body).toMatchObject({ error: 'invalid_dpop_proof' })
    expect(res?.headers['WWW-Authenticate']).toMatch(/^DPoP realm="tokenward", error="invalid_dpop_proof"/)
  })

  it('answers the OAuth token endpoint in RFC 6749 §5.2 form: 400 invalid_dpop_proof', async () => {
    const t = setup()
    const key = await proofKey()
    const res = await t.post(
      '/token',
      { grant_type: 'password', username: 'ada', password: 'pw' },
      { dpop: await t.proof(key, { htm: 'POST', htu: `${API}/auth/login` }) }, // htu of another endpoint
    )
    expect(res?.status).toBe(400)
    expect(res?.body).toMatchObject({ error: 'invalid_dpop_proof' })
    const ok = await t.post(
      '/token',
      { grant_type: 'password', username: 'ada', password: 'pw' },
      { dpop: await t.proof(key, { htm: 'POST', htu: `${API}/auth/token` }) },
    )
    expect(ok?.status).toBe(200)
    expect(ok?.body).toMatchObject({ token_type: 'DPoP' })
  })

  it('refreshes a bound refresh token only with a proof of its own key; a refused attempt spends nothing', async () => {
    const t = setup()
    const key = await proofKey()
    const other = await proofKey()
    const { refresh_token } = await t.boundLogin(key)
    const htu = `${API}/auth/refresh`
    const without = await t.post('/refresh', { refresh_token })
    expect(without?.status).toBe(401)
    expect(without?.body).toMatchObject({ error: 'invalid_dpop_proof' })
    const stolen = await t.post(
      '/refresh',
      { refresh_token },
      { dpop: await t.proof(other, { htm: 'POST', htu }) },
    )
    expect(stolen?.body).toMatchObject({ error: 'invalid_dpop_proof' })
    const ok = await t.post('/refresh', { refresh_token }, { dpop: await t.proof(key, { htm: 'POST', htu }) })
    expect(ok?.status).toBe(200)
    const next = ok!.body as { access_token: string; refresh_token: string; token_type: string }
    expect(next.token_type).toBe('DPoP')
    const jkt = await calculateJwkThumbprint(key.jwk, 'sha256')
    expect(decodeJwt(next.access_token).cnf).toEqual({ jkt })
    expect(decodeJwt(next.refresh_token).cnf).toEqual({ jkt })
  })

  it('binds the tokens of an unbound session from the first refresh that carries a proof', async () => {
    const t = setup()
    const key = await proofKey()
    const { refresh_token } = (await t.login())!.body as { refresh_token: string }
    const htu = `${API}/auth/refresh`
    const ok = await t.post('/refresh', { refresh_token }, { dpop: await t.proof(key, { htm: 'POST', htu }) })
    const next = ok!.body as { access_token: string; refresh_token: string; token_type: string }
    expect(next.token_type).toBe('DPoP')
    expect(decodeJwt(next.refresh_token).cnf).toEqual({
      jkt: await calculateJwkThumbprint(key.jwk, 'sha256'),
    })
  })
})

describe('DPoP-bound access tokens (RFC 9449 §7)', () => {
  it('accepts a bound token as Authorization: DPoP with a proof for this request (query and fragment ignored, URL normalised)', async () => {
    const t = setup()
    const key = await proofKey()
    const { access_token } = await t.boundLogin(key)
    const ctx: AuthContext = await t.resource(
      `DPoP ${access_token}`,
      await t.resourceProof(key, access_token, { htu: 'HTTPS://API.Example.COM:443/things#top' }),
    )
    expect(ctx.claims.sub).toBe('u1')
    expect((ctx.claims as { cnf?: unknown }).cnf).toEqual({
      jkt: await calculateJwkThumbprint(key.jwk, 'sha256'),
    })
  })

  it('serves GET /auth/me to a bound token with its proof (the route request carries the URL)', async () => {
    const t = setup()
    const key = await proofKey()
    const { access_token } = await t.boundLogin(key)
    const me = (dpop?: string) =>
      t.routes.handle({
        method: 'GET',
        path: '/me',
        headers: { authorization: `DPoP ${access_token}`, ...(dpop ? { dpop } : {}) },
        url: `${API}/auth/me`,
      })
    const ath = await sha256(access_token)
    expect((await me(await t.proof(key, { htm: 'GET', htu: `${API}/auth/me`, ath })))?.status).toBe(200)
    expect((await me())?.status).toBe(401)
  })

  it('takes a Fetch Request too (its url and DPoP header)', async () => {
    const t = setup()
    const key = await proofKey()
    const { access_token } = await t.boundLogin(key)
    const request = new Request(`${API}/things`, {
      headers: { authorization: `DPoP ${access_token}`, dpop: await t.resourceProof(key, access_token) },
    })
    expect((await t.auth.authenticate(request)).claims.sub).toBe('u1')
  })

  it('refuses a bound token sent as Authorization: Bearer (no downgrade)', async () => {
    const t = setup()
    const key = await proofKey()
    const { access_token } = await t.boundLogin(key)
    const err = await failure(t.resource(`Bearer ${access_token}`, await t.resourceProof(key, access_token)))
    expect(err.status).toBe(401)
    expect(err.code).toBe('token_invalid')
    expect(err.wwwAuthenticate).toMatch(/^DPoP realm="tokenward", error="invalid_token", .*algs="ES256 /)
  })

  it('refuses a bound token as a bearer token on a service whose own dpop is off', async () => {
    const t = setup()
    const key = await proofKey()
    const { access_token } = await t.boundLogin(key)
    const off = createAuth({ secret: SECRET, now: () => t.clock.now })
    const err = await failure(off.authenticate({ authorization: `Bearer ${access_token}` }))
    expect(err.code).toBe('token_invalid')
    expect(err.status).toBe(401)
    // And the DPoP scheme is not one it takes.
    const dpop = await failure(off.authenticate({ authorization: `DPoP ${access_token}` }))
    expect(dpop.code).toBe('token_missing')
  })

  it('refuses an unbound token sent with the DPoP scheme', async () => {
    const t = setup()
    const key = await proofKey()
    const { access_token } = (await t.login())!.body as { access_token: string }
    const err = await failure(t.resource(`DPoP ${access_token}`, await t.resourceProof(key, access_token)))
    expect(err.status).toBe(401)
    expect(err.code).toBe('token_invalid')
    expect(err.wwwAuthenticate).toMatch(/^DPoP .*error="invalid_token"/)
  })

  it('still accepts unbound bearer tokens when DPoP is optional, on the synchronous path', async () => {
    const t = setup()
    const { access_token } = (await t.login())!.body as { access_token: string }
    expect((await t.resource(`Bearer ${access_token}`)).claims.sub).toBe('u1')
    // What the adapters call: no promise for a bearer request (DPoP costs it nothing).
    const ctx = authenticateThen(
      t.auth,
      { headers: { authorization: `Bearer ${access_token}` }, method: 'GET' },
      undefined,
      (c) => c,
      (err) => {
        throw err
      },
    )
    expect(ctx).not.toBeInstanceOf(Promise)
    expect((ctx as AuthContext).claims.sub).toBe('u1')
  })

  it('challenges a request without credentials for both schemes', async () => {
    const t = setup()
    const err = await failure(t.auth.authenticate({ headers: {}, method: 'GET' }))
    expect(err.code).toBe('token_missing')
    expect(err.wwwAuthenticate).toBe(
      'Bearer realm="tokenward", DPoP realm="tokenward", algs="ES256 ES384 ES512 EdDSA RS256 RS384 RS512 PS256 PS384 PS512"',
    )
  })

  describe('every check of RFC 9449 §4.3, violated once', () => {
    async function bound() {
      const t = setup()
      const key = await proofKey()
      const { access_token } = await t.boundLogin(key)
      return { t, key, token: access_token, scheme: `DPoP ${access_token}` }
    }
    async function refused(pending: Promise<unknown>, message: RegExp) {
      const err = await failure(pending)
      expect(err.code).toBe('invalid_dpop_proof')
      expect(err.status).toBe(401)
      expect(err.message).toMatch(message)
      expect(err.wwwAuthenticate).toMatch(
        /^DPoP realm="tokenward", error="invalid_dpop_proof", error_description="[^"]+", algs="[^"]+"$/,
      )
    }

    it('1: no DPoP header', async () => {
      const { t, scheme } = await bound()
      await refused(t.resource(scheme), /proof header is required/)
    })

    it('1: two DPoP headers', async () => {
      const { t, key, token, scheme } = await bound()
      const p = await t.resourceProof(key, token)
      await refused(t.resource(scheme, [p, await t.resourceProof(key, token)]), /exactly one DPoP header/)
      const headers = new Headers({ authorization: scheme })
      headers.append('dpop', p)
      headers.append('dpop', p)
      await refused(t.auth.authenticate(new Request(`${API}/things`, { headers })), /exactly one/)
    })

    it('2: not a JWT', async () => {
      const { t, scheme } = await bound()
      await refused(t.resource(scheme, 'not-a-jwt'), /compact JWS/)
    })

    it('4: typ is not dpop+jwt', async () => {
      const { t, key, token, scheme } = await bound()
      await refused(t.resource(scheme, ''), /proof header is required/)
      const wrongTyp = await makeProof(
        key,
        t.clock.now,
        { htm: 'GET', htu: `${API}/things`, ath: await sha256(token) },
        { typ: 'JWT' },
      )
      await refused(t.resource(scheme, wrongTyp), /typ dpop\+jwt/)
    })

    it('5: alg none, and a MAC (HS256)', async () => {
      const { t, key, token, scheme } = await bound()
      const payload = {
        jti: 'n1',
        iat: Math.floor(t.clock.now / 1000),
        htm: 'GET',
        htu: `${API}/things`,
        ath: await sha256(token),
      }
      const none = `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk })}.${b64(payload)}.`
      await refused(t.resource(scheme, none), /alg must be one of/)
      const hs = await new SignJWT(payload)
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk } as never)
        .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!'))
      await refused(t.resource(scheme, hs), /alg must be one of/)
    })

    it('2: a critical header extension (crit, b64: false)', async () => {
      const { t, key, token, scheme } = await bound()
      const claims = { htm: 'GET', htu: `${API}/things`, ath: await sha256(token) }
      const crit = await makeProof(key, t.clock.now, claims, { crit: ['b64'], b64: true })
      await refused(t.resource(scheme, crit), /header extension/)
    })

    it('7: a jwk with private key members', async () => {
      const { t, key, token, scheme } = await bound()
      const privateJwk = await exportJWK(key.privateKey)
      expect(privateJwk.d).toBeDefined()
      const leaky = await makeProof(
        key,
        t.clock.now,
        { htm: 'GET', htu: `${API}/things`, ath: await sha256(token) },
        { jwk: privateJwk },
      )
      await refused(t.resource(scheme, leaky), /must be a public/)
    })

    it('6: a signature that does not verify with the jwk', async () => {
      const { t, key, token, scheme } = await bound()
      const other = await proofKey()
      // Signed by another key while naming the bound key: the signature check must catch it.
      const forged = await makeProof({ ...other, jwk: key.jwk }, t.clock.now, {
        htm: 'GET',
        htu: `${API}/things`,
        ath: await sha256(token),
      })
      await refused(t.resource(scheme, forged), /signature is invalid/)
      const good = await t.resourceProof(key, token)
      const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
      await refused(t.resource(scheme, tampered), /signature is invalid/)
    })

    it('3: a required claim missing (jti, htm, htu, iat)', async () => {
      const { t, key, token, scheme } = await bound()
      const full = {
        jti: 'j1',
        htm: 'GET',
        htu: `${API}/things`,
        iat: Math.floor(t.clock.now / 1000),
        ath: await sha256(token),
      }
      for (const name of ['jti', 'htm', 'htu', 'iat'] as const) {
        const { [name]: _dropped, ...rest } = full
        const p = await new SignJWT(rest)
          .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk } as never)
          .sign(key.privateKey)
        await refused(t.resource(scheme, p), new RegExp(name))
      }
    })

    it('8: wrong htm', async () => {
      const { t, key, token, scheme } = await bound()
      await refused(t.resource(scheme, await t.resourceProof(key, token, { htm: 'POST' })), /htm/)
    })

    it('9: wrong htu (another path, another host, another scheme)', async () => {
      const { t, key, token, scheme } = await bound()
      for (const htu of [`${API}/other`, 'https://evil.example.com/things', 'http://api.example.com/things'])
        await refused(t.resource(scheme, await t.resourceProof(key, token, { htu })), /htu/)
    })

    it('11: iat outside the window (stale, and from the future)', async () => {
      const { t, key, token, scheme } = await bound()
      const now = Math.floor(t.clock.now / 1000)
      await refused(t.resource(scheme, await t.resourceProof(key, token, { iat: now - 61 })), /iat/)
      await refused(t.resource(scheme, await t.resourceProof(key, token, { iat: now + 61 })), /iat/)
      expect(
        (await t.resource(scheme, await t.resourceProof(key, token, { iat: now - 59 }))).claims.sub,
      ).toBe('u1')
    })

    it('§11.1: a replayed jti', async () => {
      const { t, key, token, scheme } = await bound()
      const p = await t.resourceProof(key, token)
      expect((await t.resource(scheme, p)).claims.sub).toBe('u1')
      await refused(t.resource(scheme, p), /already used/)
    })

    it('12: missing and wrong ath', async () => {
      const { t, key, token, scheme } = await bound()
      const noAth = await t.proof(key, { htm: 'GET', htu: `${API}/things` })
      await refused(t.resource(scheme, noAth), /ath/)
      await refused(
        t.resource(scheme, await t.resourceProof(key, token, { ath: await sha256(`${token}x`) })),
        /ath/,
      )
    })

    it('12: a token bound to another key', async () => {
      const { t, token, scheme } = await bound()
      const other = await proofKey()
      await refused(t.resource(scheme, await t.resourceProof(other, token)), /another key/)
    })

    it('never authenticates a random or mutated proof, and only ever answers with an AuthError', async () => {
      const { t, key, token, scheme } = await bound()
      const good = await t.resourceProof(key, token)
      const [h, p, s] = good.split('.') as [string, string, string]
      const segment = fc.string({ unit: fc.constantFrom(...'AZaz09-_.,= '.split('')), maxLength: 80 })
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            segment,
            segment.map((x) => `${h}.${x}.${s}`),
            segment.map((x) => `${x}.${p}.${s}`),
            segment.map((x) => `${h}.${p}.${x}`),
          ),
          async (proof) => {
            const err = await t.resource(scheme, proof).then(
              () => undefined,
              (e: unknown) => e,
            )
            expect(err).toBeInstanceOf(AuthError)
            expect((err as AuthError).code).toBe('invalid_dpop_proof')
          },
        ),
        { numRuns: 300, seed: 9449 },
      )
    })

    it('fails closed when the store cannot check the jti (503)', async () => {
      const { t, key, token, scheme } = await bound()
      const store = t.store as TokenStore
      const consume = store.consume
      store.consume = async () => {
        throw new Error('down')
      }
      try {
        const err = await failure(t.resource(scheme, await t.resourceProof(key, token)))
        expect(err.code).toBe('store_unavailable')
        expect(err.status).toBe(503)
      } finally {
        store.consume = consume
      }
    })
  })
})

describe('dpop: { required: true }', () => {
  it('refuses a token request without a proof, and bearer use of any token', async () => {
    const t = setup({ required: true })
    const res = await t.login()
    expect(res?.status).toBe(401)
    expect(res?.body).toMatchObject({ error: 'invalid_dpop_proof' })
    const token = await t.post('/token', { grant_type: 'password', username: 'ada', password: 'pw' })
    expect(token?.status).toBe(400)
    expect(token?.body).toMatchObject({ error: 'invalid_dpop_proof' })
    const pair = await t.auth.issueTokens({ sub: 'u1' }) // unbound, issued by the app itself
    const err = await failure(t.resource(`Bearer ${pair.accessToken}`))
    expect(err.status).toBe(401)
    expect(err.wwwAuthenticate).toMatch(/^DPoP realm="tokenward", error="invalid_token"/)
    const missing = await failure(t.auth.authenticate({ headers: {}, method: 'GET' }))
    expect(missing.wwwAuthenticate).toMatch(/^DPoP realm="tokenward", algs="/)
    // An unbound refresh token cannot be refreshed without a proof either.
    await expect(t.auth.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'invalid_dpop_proof' })
  })

  it('works end to end with proofs', async () => {
    const t = setup({ required: true })
    const key = await proofKey()
    const { access_token } = await t.boundLogin(key)
    expect(
      (await t.resource(`DPoP ${access_token}`, await t.resourceProof(key, access_token))).claims.sub,
    ).toBe('u1')
  })
})

describe('server nonces (dpop: { nonce: true }, RFC 9449 §8 and §9)', () => {
  it('asks for a nonce at the token endpoint, then accepts it; the nonce comes with the tokens', async () => {
    const t = setup({ nonce: true })
    const key = await proofKey()
    const htu = `${API}/auth/token`
    const fields = { grant_type: 'password', username: 'ada', password: 'pw' }
    const first = await t.post('/token', fields, { dpop: await t.proof(key, { htm: 'POST', htu }) })
    expect(first?.status).toBe(400)
    expect(first?.body).toMatchObject({ error: 'use_dpop_nonce' })
    const nonce = first?.headers['DPoP-Nonce']
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const second = await t.post('/token', fields, { dpop: await t.proof(key, { htm: 'POST', htu, nonce }) })
    expect(second?.status).toBe(200)
    expect(second?.headers['DPoP-Nonce']).toBe(nonce)
  })

  it('challenges a resource request with use_dpop_nonce and a fresh nonce; a stale nonce is refused', async () => {
    const t = setup({ nonce: true })
    const key = await proofKey()
    const first = await t.login({ dpop: await t.proof(key, { htm: 'POST', htu: `${API}/auth/login` }) })
    expect(first?.status).toBe(401)
    expect(first?.body).toMatchObject({ error: 'use_dpop_nonce' })
    const nonce = first!.headers['DPoP-Nonce']!
    const ok = await t.login({ dpop: await t.proof(key, { htm: 'POST', htu: `${API}/auth/login`, nonce }) })
    const { access_token } = ok!.body as { access_token: string }
    const err = await failure(t.resource(`DPoP ${access_token}`, await t.resourceProof(key, access_token)))
    expect(err.code).toBe('use_dpop_nonce')
    expect(err.wwwAuthenticate).toMatch(/^DPoP realm="tokenward", error="use_dpop_nonce"/)
    expect(err.headers['DPoP-Nonce']).toBe(nonce)
    const ctx = await t.resource(`DPoP ${access_token}`, await t.resourceProof(key, access_token, { nonce }))
    expect(ctx.claims.sub).toBe('u1')
    // Ten minutes on, the nonce is stale; the answer carries the new one.
    t.clock.now += 10 * 60_000 + 1000
    const stale = await failure(
      t.resource(`DPoP ${access_token}`, await t.resourceProof(key, access_token, { nonce })),
    )
    expect(stale.code).toBe('use_dpop_nonce')
    expect(stale.headers['DPoP-Nonce']).not.toBe(nonce)
  })

  it('is stateless: another instance with the same keys accepts the nonce', async () => {
    const a = setup({ nonce: true })
    const b = createAuth({ secret: SECRET, now: () => a.clock.now, dpop: { nonce: true } })
    const key = await proofKey()
    const nonce = (await a.login({ dpop: await a.proof(key, { htm: 'POST', htu: `${API}/auth/login` }) }))!
      .headers['DPoP-Nonce']!
    const { access_token } = (await a.login({
      dpop: await a.proof(key, { htm: 'POST', htu: `${API}/auth/login`, nonce }),
    }))!.body as { access_token: string }
    const ctx = await b.authenticate({
      headers: {
        authorization: `DPoP ${access_token}`,
        dpop: await a.resourceProof(key, access_token, { nonce }),
      },
      method: 'GET',
      url: `${API}/things`,
    })
    expect(ctx.claims.sub).toBe('u1')
  })
})

describe('the dpop option is checked at construction', () => {
  it('rejects unknown names, MAC or unknown algorithms, a bad window, and nonces without key material', () => {
    expect(() => createAuth({ secret: SECRET, dpop: { requried: true } as never })).toThrow(
      /did you mean `required`/,
    )
    expect(() => createAuth({ secret: SECRET, dpop: { algorithms: ['HS256'] } })).toThrow(/asymmetric only/)
    expect(() => createAuth({ secret: SECRET, dpop: { algorithms: ['none'] } })).toThrow(/dpop.algorithms/)
    expect(() => createAuth({ secret: SECRET, dpop: { proofMaxAge: Number.NaN } })).toThrow(/proofMaxAge/)
    expect(() => createAuth({ secret: SECRET, dpop: 'yes' as never })).toThrow(/`dpop` must be/)
    expect(() => createAuth({ secret: SECRET, dpop: { nonceSecret: 'short' } })).toThrow(/nonceSecret/)
    expect(() =>
      createAuth({ jwks: new URL('https://idp.example.com/jwks'), dpop: { nonce: true } }),
    ).toThrow(/dpop.nonceSecret/)
    expect(() =>
      createAuth({
        jwks: new URL('https://idp.example.com/jwks'),
        dpop: { nonce: true, nonceSecret: 'a-nonce-secret-of-at-least-32-bytes!!' },
      }),
    ).not.toThrow()
  })

  it('refuses a jkt that is not a SHA-256 thumbprint', async () => {
    const t = setup()
    await expect(t.auth.issueTokens({ sub: 'u1' }, { jkt: 'nope' })).rejects.toThrow(/RFC 7638/)
  })
})
