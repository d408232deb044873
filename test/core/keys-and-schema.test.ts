import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { AuthError, createAuth } from '../../src/index.js'
import { b64 } from '../helpers.js'

describe('verify-only mode from a remote JWK Set', () => {
  let server: Server
  let url: string
  let requests = 0

  let issuer: ReturnType<typeof createAuth>
  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    issuer = createAuth({ keys: [{ kid: 'remote-1', alg: 'EdDSA', key: privateKey }] })
    await issuer.ready()
    const jwks = JSON.stringify(await issuer.jwks())
    server = createServer((_req, res) => {
      requests++
      res.setHeader('content-type', 'application/json')
      res.end(jwks)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('verifies tokens signed by the key holder, fetching the set once', async () => {
    const verifier = createAuth({ jwks: url })
    const pair = await issuer.issueTokens({ sub: 'u1' })
    expect((await verifier.verifyAccessToken(pair.accessToken)).sub).toBe('u1')
    expect(
      (await verifier.verifyAccessToken((await issuer.issueTokens({ sub: 'u2' })).accessToken)).sub,
    ).toBe('u2')
    expect(requests).toBe(1)
    await expect(verifier.issueTokens({ sub: 'u1' })).rejects.toThrow(/verify-only/)
  })

  it('rejects a token from a key that is not in the set (token_invalid)', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    const stranger = createAuth({ keys: [{ kid: 'stranger', alg: 'EdDSA', key: privateKey }] })
    const verifier = createAuth({ jwks: url, jwksOptions: { cooldown: 0 } })
    const err = await verifier
      .verifyAccessToken((await stranger.issueTokens({ sub: 'x' })).accessToken)
      .catch((e: unknown) => e)
    expect((err as AuthError).code).toBe('token_invalid')
  })

  it('fails closed when the key set cannot be fetched (503 store_unavailable)', async () => {
    const verifier = createAuth({ jwks: 'http://127.0.0.1:1/jwks.json', jwksOptions: { timeout: '1s' } })
    const err = await verifier
      .verifyAccessToken((await issuer.issueTokens({ sub: 'u1' })).accessToken)
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    expect((err as AuthError).status).toBe(503)
  })
})

describe('claimsSchema and typed claims', () => {
  it('runs a Standard Schema (zod) on verified claims (token_claim_invalid)', async () => {
    const auth = createAuth({
      secret: 'schema-test-secret-at-least-32-bytes!!',
      claimsSchema: z.object({ tenant: z.string() }).passthrough(),
    })
    const good = await auth.issueTokens({ sub: 'u1', tenant: 't1' })
    expect((await auth.verifyAccessToken(good.accessToken)).tenant).toBe('t1')
    const bad = await auth.issueTokens({ sub: 'u1' })
    const err = await auth.verifyAccessToken(bad.accessToken).catch((e: unknown) => e)
    expect((err as AuthError).code).toBe('token_claim_invalid')
  })

  it('keeps the verified registered claims when a schema strips them: revocation and expiry still hold', async () => {
    let clock = Date.now()
    const auth = createAuth({
      secret: 'schema-test-secret-at-least-32-bytes!!',
      accessTokenTtl: '1m',
      now: () => clock,
      // A plain z.object strips every key it does not name: exp, jti, sub, iat…
      claimsSchema: z.object({ tenant: z.string() }),
    })
    const pair = await auth.issueTokens({ sub: 'u1', tenant: 't1' })
    const claims = await auth.verifyAccessToken(pair.accessToken)
    expect(claims.tenant).toBe('t1')
    expect(claims.sub).toBe('u1')
    expect(typeof claims.exp).toBe('number')
    await auth.revoke(pair.accessToken)
    const revoked = await auth.verifyAccessToken(pair.accessToken).catch((e: unknown) => e)
    expect((revoked as AuthError).code).toBe('token_revoked')
    const other = await auth.issueTokens({ sub: 'u2', tenant: 't1' })
    await auth.verifyAccessToken(other.accessToken) // now cached
    clock += 2 * 60_000
    const expired = await auth.verifyAccessToken(other.accessToken).catch((e: unknown) => e)
    expect((expired as AuthError).code).toBe('token_expired')
  })

  it('types claims and user from the generics', async () => {
    type User = { id: string; name: string }
    const auth = createAuth<{ roles: string[]; tenant: string }, User>({
      secret: 'schema-test-secret-at-least-32-bytes!!',
      resolveUser: (claims) => ({ id: claims.sub, name: claims.tenant }),
    })
    const pair = await auth.issueTokens({ sub: 'u1', roles: ['admin'], tenant: 't1' })
    const ctx = await auth.authenticate(pair.accessToken)
    expectTypeOf(ctx.claims.tenant).toEqualTypeOf<string>()
    expectTypeOf(ctx.user).toEqualTypeOf<User>()
    expect(ctx.user).toEqual({ id: 'u1', name: 't1' })
    // @ts-expect-error: tenant is required by the claims type
    await auth.issueTokens({ sub: 'u2', roles: [] }).catch(() => undefined)
  })
})

describe('keys: what createAuth refuses, and jwks() right away', () => {
  it('publishes the JWK Set right after createAuth (await auth.jwks(), no ready() first)', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const auth = createAuth({ keys: [{ kid: 'k1', alg: 'ES256', key: privateKey }] })
    const set = await auth.jwks()
    expect(set.keys).toEqual([expect.objectContaining({ kid: 'k1', alg: 'ES256', kty: 'EC', use: 'sig' })])
    expect(set.keys[0]).not.toHaveProperty('d')
    expect(await createAuth({ secret: 'a-secret-that-is-at-least-32-bytes!!' }).jwks()).toEqual({ keys: [] })
    const broken = createAuth({
      keys: [{ kid: 'k', alg: 'ES256', key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }],
    })
    await expect(broken.jwks()).rejects.toThrow()
  })

  it('refuses RSA keys under 2048 bits (RFC 7518 §3.3) as JWK, CryptoKey and PEM', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const jwk = weak.privateKey.export({ format: 'jwk' })
    expect(() => createAuth({ keys: [{ kid: 'w', alg: 'RS256', ...jwk } as never] })).toThrow(
      /RSA key of 1024 bits; RFC 7518 §3.3 requires at least 2048/,
    )
    const cryptoKey = await crypto.subtle.importKey(
      'jwk',
      weak.publicKey.export({ format: 'jwk' }),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true,
      ['verify'],
    )
    expect(() => createAuth({ keys: [{ kid: 'w', alg: 'RS256', key: cryptoKey }] })).toThrow(/1024 bits/)
    // A PEM is only parsed when the keys are imported: ready() (and every call) rejects.
    const pem = createAuth({
      keys: [
        { kid: 'w', alg: 'RS256', key: weak.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
      ],
    })
    await expect(pem.ready()).rejects.toThrow(/1024 bits/)
    const strong = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const ok = createAuth({
      keys: [
        { kid: 's', alg: 'RS256', key: strong.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
      ],
    })
    await ok.ready()
  })

  it('refuses a remote JWK Set key under 2048 bits (token_invalid): the native path skips jose’s check', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const jwks = JSON.stringify({
      keys: [{ ...weak.publicKey.export({ format: 'jwk' }), kid: 'w', alg: 'RS256' }],
    })
    const server = createServer((_req, res) => res.end(jwks))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
      const auth = createAuth({ jwks: url })
      const now = Math.floor(Date.now() / 1000)
      const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'w' })}.${b64({ sub: 'u1', jti: 'j', iat: now, exp: now + 60 })}`
      const token = `${input}.${sign('sha256', Buffer.from(input), weak.privateKey).toString('base64url')}`
      const err = await auth.verifyAccessToken(token).catch((e: unknown) => e)
      expect((err as AuthError).code).toBe('token_invalid')
      expect((err as AuthError).message).toMatch(/under 2048 bits/)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('refuses public-key material as an HMAC secret (jsonwebtoken CVE-2022-23541 class)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const spkiPem = publicKey.export({ type: 'spki', format: 'pem' }) as string
    const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
    const jwk = publicKey.export({ format: 'jwk' })
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    const ed = generateKeyPairSync('ed25519').publicKey
    const certificate = `-----BEGIN CERTIFICATE-----\n${Buffer.from(spkiDer).toString('base64')}\n-----END CERTIFICATE-----`
    const given: unknown[] = [
      spkiPem,
      certificate,
      privateKey.export({ type: 'pkcs8', format: 'pem' }),
      JSON.stringify(jwk),
      jwk,
      spkiDer,
      Buffer.from(spkiDer).toString('base64'),
      new Uint8Array(ec.export({ type: 'spki', format: 'der' })),
      (ed.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64'),
    ]
    for (const secret of given) {
      expect(() => createAuth({ secret: secret as string })).toThrow(/not an HMAC secret.*CVE-2022-23541/s)
      expect(() => createAuth({ keys: [{ kid: 'h', alg: 'HS256', key: secret as string }] })).toThrow(
        /not an HMAC secret|secret as a string or Uint8Array/,
      )
    }
    // Random secrets, as text or bytes, are fine.
    createAuth({ secret: randomBytes(32).toString('base64url') })
    createAuth({ secret: randomBytes(48).toString('base64') })
    createAuth({ secret: new Uint8Array(randomBytes(64)) })
  })
})
