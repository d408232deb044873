// DPoP (RFC 9449) over real HTTP on Express, Fastify, Hono and tokenward/fetch: the same app, the same answers.
// Proofs are made by hand with jose, independently of tokenward.
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthOptions, createAuth } from '../../src/index.js'
import { type RunningApp, SECRET, startApp, type TestUser, USERS } from './apps.js'
import { FRAMEWORKS } from './serve.js'

const json = { 'content-type': 'application/json' }

const sha256 = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')

interface Key {
  privateKey: CryptoKey
  jwk: JWK
}

async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  return { privateKey, jwk: await exportJWK(publicKey) }
}

function proof(key: Key, htm: string, htu: string, extra: { ath?: string; nonce?: string } = {}) {
  return new SignJWT({ htm, htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ...extra })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey)
}

function makeAuth(dpop: AuthOptions['dpop']) {
  return createAuth<{ roles: string[]; scope?: string }, TestUser>({
    secret: SECRET,
    dpop,
    resolveUser: (claims) => Object.values(USERS).find((u) => u.id === claims.sub) ?? null,
  })
}

describe.each([...FRAMEWORKS, 'fetch'] as const)('DPoP over HTTP on %s', (framework) => {
  let app: RunningApp
  let key: Key
  let tokens: { access_token: string; refresh_token: string; token_type: string }

  beforeAll(async () => {
    app = await startApp(framework, makeAuth(true))
    key = await newKey()
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { ...json, dpop: await proof(key, 'POST', `${app.url}/auth/login`) },
      body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
    })
    expect(res.status).toBe(200)
    tokens = (await res.json()) as typeof tokens
  })
  afterAll(() => app.close())

  const get = async (path: string, authorization: string, dpop?: string) =>
    fetch(`${app.url}${path}`, { headers: { authorization, ...(dpop ? { dpop } : {}) } })

  it('login with a proof gives DPoP-bound tokens; the bound token works with a proof for the request', async () => {
    expect(tokens.token_type).toBe('DPoP')
    const res = await get(
      '/api/me?x=1',
      `DPoP ${tokens.access_token}`,
      await proof(key, 'GET', `${app.url}/api/me`, { ath: await sha256(tokens.access_token) }),
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'u-ada', name: 'Ada' })
  })

  it('refuses a replayed proof (401 invalid_dpop_proof, DPoP challenge)', async () => {
    const p = await proof(key, 'GET', `${app.url}/api/me`, { ath: await sha256(tokens.access_token) })
    expect((await get('/api/me', `DPoP ${tokens.access_token}`, p)).status).toBe(200)
    const again = await get('/api/me', `DPoP ${tokens.access_token}`, p)
    expect(again.status).toBe(401)
    expect(((await again.json()) as { error: string }).error).toBe('invalid_dpop_proof')
    expect(again.headers.get('www-authenticate')).toMatch(
      /^DPoP realm="tokenward", error="invalid_dpop_proof"/,
    )
  })

  it('refuses the bound token as a bearer token (no downgrade)', async () => {
    const res = await get('/api/me', `Bearer ${tokens.access_token}`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP realm="tokenward", error="invalid_token"/)
  })

  it('refuses a proof made for another URL', async () => {
    const res = await get(
      '/api/me',
      `DPoP ${tokens.access_token}`,
      await proof(key, 'GET', `${app.url}/admin`, { ath: await sha256(tokens.access_token) }),
    )
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof')
  })

  it('refreshes the bound refresh token with a proof of its key only', async () => {
    const refresh = async (dpop?: string) =>
      fetch(`${app.url}/auth/refresh`, {
        method: 'POST',
        headers: { ...json, ...(dpop ? { dpop } : {}) },
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      })
    const without = await refresh()
    expect(without.status).toBe(401)
    expect(((await without.json()) as { error: string }).error).toBe('invalid_dpop_proof')
    const ok = await refresh(await proof(key, 'POST', `${app.url}/auth/refresh`))
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { token_type: string }).token_type).toBe('DPoP')
  })
})

describe.each([...FRAMEWORKS, 'fetch'] as const)(
  'DPoP nonces and required mode over HTTP on %s',
  (framework) => {
    let app: RunningApp
    beforeAll(async () => {
      app = await startApp(framework, makeAuth({ required: true, nonce: true }))
    })
    afterAll(() => app.close())

    it('asks for a nonce (DPoP-Nonce), accepts it, and refuses a login without a proof', async () => {
      const key = await newKey()
      const login = (dpop?: string) =>
        fetch(`${app.url}/auth/login`, {
          method: 'POST',
          headers: { ...json, ...(dpop ? { dpop } : {}) },
          body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
        })
      expect((await login()).status).toBe(401)
      const first = await login(await proof(key, 'POST', `${app.url}/auth/login`))
      expect(first.status).toBe(401)
      expect(((await first.json()) as { error: string }).error).toBe('use_dpop_nonce')
      const nonce = first.headers.get('dpop-nonce')!
      expect(nonce).toBeTruthy()
      const ok = await login(await proof(key, 'POST', `${app.url}/auth/login`, { nonce }))
      expect(ok.status).toBe(200)
      const { access_token } = (await ok.json()) as { access_token: string }
      const ath = await sha256(access_token)
      const res = await fetch(`${app.url}/api/me`, {
        headers: {
          authorization: `DPoP ${access_token}`,
          dpop: await proof(key, 'GET', `${app.url}/api/me`, { ath, nonce }),
        },
      })
      expect(res.status).toBe(200)
      const missing = await fetch(`${app.url}/api/me`)
      expect(missing.status).toBe(401)
      expect(missing.headers.get('www-authenticate')).toMatch(/^DPoP realm="tokenward", algs="ES256/)
    })
  },
)
