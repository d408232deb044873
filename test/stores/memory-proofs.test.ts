// memoryStore's DPoP proof ids share their bound (maxProofs) fairly between keys. One client with a
// DPoP-bound session can send fresh proofs faster than they expire; when the bound is full, the
// store forgets the OLDEST proof id of the key holding the most (only that client's own proofs
// become replayable), so every other client's proofs are never forgotten and its requests keep
// working. When no key holds more than 1 % of the bound, the flood comes from many keys at once
// and a new proof is refused (503): fail closed. Through the store, and through createAuth with
// real proofs; time is injected.
import { exportJWK, generateKeyPair, type JWK, type KeyObject, SignJWT } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import {
  AuthError,
  type CredentialsInput,
  createAuth,
  createAuthRoutes,
  memoryStore,
} from '../../src/index.js'

let now = Date.UTC(2026, 0, 1, 12)
const sec = () => now / 1000
const clock = { now: () => now }

describe('memoryStore DPoP proof ids, through the store', () => {
  it('lets one key flood past maxProofs: its own oldest ids are forgotten, never another key’s', async () => {
    const store = memoryStore({ maxProofs: 100, ...clock })
    for (let i = 0; i < 5; i++) expect(await store.consume(`dpop:bob:${i}`, sec() + 70)).toBe(true)
    for (let i = 0; i < 1000; i++) expect(await store.consume(`dpop:flood:${i}`, sec() + 70)).toBe(true)
    // Bob's ids are all still held: a replay of any of them is refused.
    for (let i = 0; i < 5; i++) expect(await store.consume(`dpop:bob:${i}`, sec() + 70)).toBe(false)
    // The flooder's newest are held; its oldest were forgotten to make room (replayable: its own).
    for (let i = 990; i < 1000; i++) expect(await store.consume(`dpop:flood:${i}`, sec() + 70)).toBe(false)
    expect(await store.consume('dpop:flood:0', sec() + 70)).toBe(true)
    // A new key still gets in while the flood goes on.
    expect(await store.consume('dpop:carol:0', sec() + 70)).toBe(true)
    expect(await store.consume('dpop:carol:0', sec() + 70)).toBe(false)
    await store.close?.()
  })

  it('refuses a new proof (fails closed) when the bound is full and no key holds more than 1 %', async () => {
    const store = memoryStore({ maxProofs: 100, ...clock })
    for (let i = 0; i < 100; i++) expect(await store.consume(`dpop:k${i}:0`, sec() + 70)).toBe(true)
    await expect(store.consume('dpop:k100:0', sec() + 70)).rejects.toThrow(
      /no room for another DPoP proof id: 100 live \(maxProofs = 100; no key holds over 1\)/,
    )
    await expect(store.consume('dpop:k0:1', sec() + 70)).rejects.toThrow(/maxProofs = 100/)
    // Every held id is still refused on replay.
    for (let i = 0; i < 100; i++) expect(await store.consume(`dpop:k${i}:0`, sec() + 70)).toBe(false)
    // Once they expire there is room again.
    now += 71_000
    expect(await store.consume('dpop:k100:0', sec() + 70)).toBe(true)
    await store.close?.()
  })

  it('trims a key only while it holds more than its share: the share is 1 % of maxProofs (at least 1)', async () => {
    const store = memoryStore({ maxProofs: 1000, ...clock })
    // 100 keys hold 10 each (their share): full, and nobody is over.
    for (let k = 0; k < 100; k++)
      for (let i = 0; i < 10; i++) expect(await store.consume(`dpop:k${k}:${i}`, sec() + 70)).toBe(true)
    await expect(store.consume('dpop:new:0', sec() + 70)).rejects.toThrow(/no key holds over 10/)
    // One more proof of k7 is refused too: k7 would go over its share only by taking another key's room.
    await expect(store.consume('dpop:k7:10', sec() + 70)).rejects.toThrow(/maxProofs = 1000/)
    for (let k = 0; k < 100; k++)
      for (let i = 0; i < 10; i++) expect(await store.consume(`dpop:k${k}:${i}`, sec() + 70)).toBe(false)
    await store.close?.()
  })

  it('stays cheap under a long one-key flood (100 000 proofs into the default bound) and forgets nothing of others', async () => {
    const store = memoryStore({ ...clock })
    for (let i = 0; i < 100; i++) await store.consume(`dpop:k${i}:0`, sec() + 70)
    for (let i = 0; i < 100_000; i++) await store.consume(`dpop:flood:${i}`, sec() + 70)
    for (let i = 0; i < 100; i++) expect(await store.consume(`dpop:k${i}:0`, sec() + 70)).toBe(false)
    await store.close?.()
  })
})

const SECRET = 'memory-proofs-test-secret-32-bytes-long!'
const API = 'https://api.example.com'

interface ProofKey {
  privateKey: CryptoKey | KeyObject
  jwk: JWK
}

async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  return { privateKey, jwk: await exportJWK(publicKey) }
}

const sha256 = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')

/** A DPoP proof (RFC 9449 §4.2) of `key` for `htm` `htu`, at the test clock. */
async function proof(key: ProofKey, htm: string, htu: string, token?: string): Promise<string> {
  const claims = { jti: crypto.randomUUID(), iat: Math.floor(now / 1000), htm, htu }
  return new SignJWT(token === undefined ? claims : { ...claims, ath: await sha256(token) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey)
}

/** createAuth with DPoP on memoryStore({ maxProofs }), its login route, and a resource request. */
function app(maxProofs: number) {
  const store = memoryStore({ maxProofs, ...clock })
  const auth = createAuth({ secret: SECRET, store, dpop: true, now: clock.now })
  const routes = createAuthRoutes(auth, {
    verifyCredentials: (username) => ({ id: username }),
    rateLimit: false,
  })
  /** Signs `user` in with a proof of `key`: the bound access token, or the error status. */
  const login = async (user: string, key: ProofKey) => {
    const res = await routes.handle({
      method: 'POST',
      path: '/login',
      headers: { 'content-type': 'application/json', dpop: await proof(key, 'POST', `${API}/auth/login`) },
      body: JSON.stringify({ username: user, password: 'pw' }),
      address: '203.0.113.7',
      url: `${API}/auth/login`,
    })
    return res!.status === 200 ? (res!.body as { access_token: string }).access_token : res!.status
  }
  /** GET /things with `token` and `dpop` (a fresh proof of `key` when not given): 'ok' or the error code. */
  const request = async (token: string, key: ProofKey, dpop?: string) => {
    const headers = {
      authorization: `DPoP ${token}`,
      dpop: dpop ?? (await proof(key, 'GET', `${API}/things`, token)),
    }
    return auth.authenticate({ headers, method: 'GET', url: `${API}/things` } as CredentialsInput).then(
      () => 'ok',
      (err: unknown) => (err instanceof AuthError ? err.code : `thrown: ${String(err)}`),
    )
  }
  return { login, request, store }
}

describe('memoryStore DPoP proof ids, through createAuth', () => {
  it('one client flooding fresh proofs past maxProofs never stops another client, nor makes its proofs replayable', async () => {
    const { login, request } = app(50)
    const [flooder, other] = [await proofKey(), await proofKey()]
    const floodToken = await login('mallory', flooder)
    const otherToken = await login('ada', other)
    expect(typeof floodToken).toBe('string')
    expect(typeof otherToken).toBe('string')
    const sent: string[] = []
    for (let i = 0; i < 300; i++) {
      expect(await request(floodToken as string, flooder)).toBe('ok')
      if (i % 30 === 0) {
        const dpop = await proof(other, 'GET', `${API}/things`, otherToken as string)
        expect(await request(otherToken as string, other, dpop)).toBe('ok')
        sent.push(dpop)
      }
    }
    // Every proof the other client sent is still remembered: each replay is refused.
    for (const dpop of sent)
      expect(await request(otherToken as string, other, dpop)).toBe('invalid_dpop_proof')
  })

  it('many clients at once fill the bound: a new proof is refused with 503, and nobody’s proof is forgotten', async () => {
    const { login, request } = app(20)
    const clients = await Promise.all(Array.from({ length: 21 }, () => proofKey()))
    const tokens: string[] = []
    // Twenty logins (one proof each) fill the bound; no key holds more than its share (1).
    for (const [i, key] of clients.slice(0, 20).entries()) tokens.push((await login(`u${i}`, key)) as string)
    expect(await login('u20', clients[20]!)).toBe(503)
    expect(await request(tokens[0]!, clients[0]!)).toBe('store_unavailable')
  })
})

describe('memoryStore DPoP proof ids, the cost of a flood', () => {
  it('a full store under a flood does not sweep every id on every request while honest proofs keep expiring', async () => {
    const { ProofIds } = await import('../../src/stores/memory/proofs.js')
    const sweeps = vi.spyOn(ProofIds.prototype, 'sweep')
    const ids = new ProofIds(1000, () => new Error('full'))
    const start = Date.UTC(2026, 0, 1)
    // 100 honest keys, each a proof every 200 ms (5 live each, under the 1 % share); one flooding
    // key a proof every millisecond, keeping the bound full. Every proof lives 1 s.
    for (let ms = 0; ms < 5000; ms++) {
      const t = start + ms
      if (ms % 2 === 0) expect(ids.consume(`dpop:honest${(ms / 2) % 100}:${ms}`, t + 1000, t)).toBe(true)
      expect(ids.consume(`dpop:flood:${ms}`, t + 1000, t)).toBe(true)
    }
    // Expired ids leave from the front of the arrival order; the full sweep runs about once a second.
    expect(sweeps.mock.calls.length).toBeLessThanOrEqual(6)
    // And no honest proof was forgotten early: the newest of each key is still refused as a replay.
    const t = start + 5000
    for (let k = 0; k < 10; k++) {
      const ms = 4998 - 2 * k
      expect(ids.consume(`dpop:honest${(ms / 2) % 100}:${ms}`, t + 1000, t)).toBe(false)
    }
    sweeps.mockRestore()
  })
})
