import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { AuthError, createAuth } from '../../src/index.js'

describe('verify-only mode from a remote JWK Set', () => {
  let server: Server
  let url: string
  let requests = 0

  let issuer: ReturnType<typeof createAuth>
  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    issuer = createAuth({ keys: [{ kid: 'remote-1', alg: 'EdDSA', key: privateKey }] })
    await issuer.ready()
    server = createServer((_req, res) => {
      requests++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(issuer.jwks()))
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
