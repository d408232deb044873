// Found by a review of this round's changes, each over real HTTP on Express, Fastify and Hono:
// - /revoke and /logout record a DPoP proof's jti only once its key is the token's: a thief holding
//   a bound token, with proofs of his own key, stores nothing;
// - /logout revokes every token it is given: an access token of another session (or of none) does
//   not leave the refresh token's session alive;
// - /reauthenticate with a token of no session here (a third-party token, verifyProfile 'jwt')
//   answers 401, not a 500.
import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth, memoryStore, type TokenStore } from '../../../src/index.js'
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

describe.each(FRAMEWORKS)('%s', (framework) => {
  const inner = memoryStore()
  const consumed: string[] = []
  const store: TokenStore = {
    ...inner,
    consume: (id, expiresAt, subject) => {
      consumed.push(id)
      return inner.consume(id, expiresAt, subject)
    },
  }
  const auth = createAuth({ secret: SECRET, dpop: true, store })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())
  const url = (path: string) => `${app.url}/auth${path}`

  const login = async (key?: DpopKey): Promise<Pair> => {
    const headers: Record<string, string> = key ? { dpop: await proof(key, 'POST', url('/login')) } : {}
    const res = await postJson(url('/login'), CREDENTIALS, headers)
    expect(res.status).toBe(200)
    return (await res.json()) as Pair
  }
  const refreshOutcome = async (pair: Pair, key?: DpopKey) => {
    const headers: Record<string, string> = key ? { dpop: await proof(key, 'POST', url('/refresh')) } : {}
    const res = await postJson(url('/refresh'), { refresh_token: pair.refresh_token }, headers)
    return res.status === 200 ? 'ok' : await errorOf(res)
  }

  it("a thief's proofs of his own key at /revoke and /logout are refused and store nothing", async () => {
    const key = await newDpopKey()
    const thief = await newDpopKey()
    const pair = await login(key)
    const before = consumed.length
    for (let i = 0; i < 5; i++) {
      const revoked = await postForm(
        url('/revoke'),
        { token: pair.refresh_token },
        { dpop: await proof(thief, 'POST', url('/revoke')) },
      )
      expect(revoked.status).toBe(400)
      expect(await revoked.json()).toMatchObject({ error: 'invalid_dpop_proof' })
      const loggedOut = await postJson(
        url('/logout'),
        { refresh_token: pair.refresh_token },
        { dpop: await proof(thief, 'POST', url('/logout')) },
      )
      expect(loggedOut.status).toBe(401)
      expect(await errorOf(loggedOut)).toBe('invalid_dpop_proof')
    }
    expect(consumed.slice(before)).toEqual([])
    expect(await refreshOutcome(pair, key)).toBe('ok')
  })

  it("/logout with one session's access token and another's refresh token ends both sessions", async () => {
    const a = await login()
    const b = await login()
    const res = await postJson(
      url('/logout'),
      { refresh_token: b.refresh_token },
      { authorization: `Bearer ${a.access_token}` },
    )
    expect(res.status).toBe(204)
    expect(await refreshOutcome(a)).toBe('token_revoked')
    expect(await refreshOutcome(b)).toBe('token_revoked')
  })
})

describe.each(FRAMEWORKS)('%s, verifyProfile jwt (verify-only)', (framework) => {
  let app: Served
  let privateKey: CryptoKey
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256')
    privateKey = pair.privateKey
    const auth = createAuth({
      keys: [{ kid: 'idp', alg: 'ES256', key: pair.publicKey }],
      verifyProfile: 'jwt',
    })
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app?.close())

  it('/reauthenticate with a third-party token (no session here) and the right password: 401 token_invalid, not a 500', async () => {
    const token = await new SignJWT({ sub: 'u-ada' })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
    const res = await postJson(`${app.url}/auth/reauthenticate`, CREDENTIALS, {
      authorization: `Bearer ${token}`,
    })
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('token_invalid')
  })
})
