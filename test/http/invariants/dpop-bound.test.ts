// DPoP binding at every route (S3). A bound token ends its session at
// /logout and /revoke only with a proof of its key, and a refusal ends nothing; an RSA key below
// 2048 bits is refused however its modulus is padded. Proofs are made by the client side (jose, or
// node:crypto where jose itself refuses a short RSA key). Over real HTTP on Express, Fastify and Hono.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/index.js'
import {
  type DpopKey,
  errorOf,
  FRAMEWORKS,
  newDpopKey,
  type Pair,
  postForm,
  postJson,
  proof,
  SECRET,
  type Served,
  serveAuth,
} from './app.js'

const CREDENTIALS = { username: 'ada', password: 'ada-password' }

describe.each(FRAMEWORKS)('%s: DPoP-bound tokens at /logout and /revoke', (framework) => {
  const auth = createAuth({ secret: SECRET, dpop: true })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())

  const url = (path: string) => `${app.url}/auth${path}`
  const boundLogin = async (key: DpopKey): Promise<Pair> => {
    const res = await postJson(url('/login'), CREDENTIALS, { dpop: await proof(key, 'POST', url('/login')) })
    expect(res.status).toBe(200)
    const pair = (await res.json()) as Pair
    expect(pair.token_type).toBe('DPoP')
    return pair
  }
  const refresh = async (key: DpopKey, refreshToken: string) =>
    postJson(
      url('/refresh'),
      { refresh_token: refreshToken },
      { dpop: await proof(key, 'POST', url('/refresh')) },
    )

  it('refuses a bound access token sent as Bearer at /logout (401 token_invalid, DPoP challenge): the session lives on', async () => {
    const key = await newDpopKey()
    const pair = await boundLogin(key)
    const res = await postJson(url('/logout'), {}, { authorization: `Bearer ${pair.access_token}` })
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('token_invalid')
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP /)
    expect((await refresh(key, pair.refresh_token)).status).toBe(200)
  })

  it('logs out with the bound access token as DPoP and a proof for the request (204)', async () => {
    const key = await newDpopKey()
    const pair = await boundLogin(key)
    const res = await postJson(
      url('/logout'),
      {},
      {
        authorization: `DPoP ${pair.access_token}`,
        dpop: await proof(key, 'POST', url('/logout'), pair.access_token),
      },
    )
    expect(res.status).toBe(204)
    const after = await refresh(key, pair.refresh_token)
    expect(after.status).toBe(401)
    expect(await errorOf(after)).toBe('token_revoked')
  })

  it('refuses a bound refresh token alone at /logout without a proof (401 invalid_dpop_proof); with a proof of its key it ends the session', async () => {
    const key = await newDpopKey()
    const pair = await boundLogin(key)
    const refused = await postJson(url('/logout'), { refresh_token: pair.refresh_token })
    expect(refused.status).toBe(401)
    expect(await errorOf(refused)).toBe('invalid_dpop_proof')
    const still = await refresh(key, pair.refresh_token)
    expect(still.status).toBe(200)
    const { refresh_token } = (await still.json()) as Pair
    const ended = await postJson(
      url('/logout'),
      { refresh_token },
      { dpop: await proof(key, 'POST', url('/logout')) },
    )
    expect(ended.status).toBe(204)
    const after = await refresh(key, refresh_token)
    expect(after.status).toBe(401)
    expect(await errorOf(after)).toBe('token_revoked')
  })

  it('refuses to revoke a bound refresh token without a proof (400 invalid_dpop_proof, nothing revoked); with a proof of its key the session ends', async () => {
    const key = await newDpopKey()
    const pair = await boundLogin(key)
    const refused = await postForm(url('/revoke'), { token: pair.refresh_token })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_dpop_proof' })
    const still = await refresh(key, pair.refresh_token)
    expect(still.status).toBe(200)
    const { refresh_token } = (await still.json()) as Pair
    const revoked = await postForm(
      url('/revoke'),
      { token: refresh_token },
      { dpop: await proof(key, 'POST', url('/revoke')) },
    )
    expect(revoked.status).toBe(200)
    expect(await revoked.json()).toEqual({})
    const after = await refresh(key, refresh_token)
    expect(after.status).toBe(401)
    expect(await errorOf(after)).toBe('token_revoked')
  })
})

/** A public RSA JWK with its modulus left-padded with zero bytes to `bytes`. */
function paddedJwk(publicKey: KeyObject, bytes: number): { kty: 'RSA'; e: string; n: string } {
  const jwk = publicKey.export({ format: 'jwk' })
  const n = Buffer.from(jwk.n!, 'base64url')
  return {
    kty: 'RSA',
    e: jwk.e!,
    n: Buffer.concat([Buffer.alloc(bytes - n.length), n]).toString('base64url'),
  }
}

/** An RS256 DPoP proof signed with node:crypto (jose refuses to sign with a key below 2048 bits). */
function rsaProof(privateKey: KeyObject, jwk: object, htu: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const header = part({ typ: 'dpop+jwt', alg: 'RS256', jwk })
  const payload = part({ htm: 'POST', htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) })
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url')
  return `${header}.${payload}.${signature}`
}

describe.each(FRAMEWORKS)('%s: DPoP RSA key size', (framework) => {
  const auth = createAuth({ secret: SECRET, dpop: true })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())

  const login = (dpop: string) => postJson(`${app.url}/auth/login`, CREDENTIALS, { dpop })

  it('refuses a proof by an RSA-1024 key whose n is zero-padded to 256 bytes (401 invalid_dpop_proof)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const res = await login(rsaProof(privateKey, paddedJwk(publicKey, 256), `${app.url}/auth/login`))
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('invalid_dpop_proof')
  })

  it('accepts a proof by an RSA-2048 key (the control: RSA itself is allowed)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = paddedJwk(publicKey, 256)
    const dpop = await new SignJWT({
      htm: 'POST',
      htu: `${app.url}/auth/login`,
      jti: crypto.randomUUID(),
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'RS256', jwk })
      .sign(privateKey)
    const res = await login(dpop)
    expect(res.status).toBe(200)
    expect(((await res.json()) as Pair).token_type).toBe('DPoP')
  })
})
