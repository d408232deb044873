/**
 * A real OAuth 2.0 authorization server nobody here wrote (panva's oidc-provider) issues RFC 9068
 * JWT access tokens; tokenward, verify-only from its JWKS, accepts them and checks scopes,
 * audience and issuer — and refuses its tokens for another resource.
 */
import type { Server } from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../../src/index.js'
import { codeOf } from '../helpers.js'
import { freePort } from '../setup/redis.js'

const API = 'https://api.example.com'
let issuer = ''
let server: Server

beforeAll(async () => {
  const port = await freePort()
  issuer = `http://127.0.0.1:${port}`
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'svc',
        client_secret: 'svc-secret-0123456789',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'op-1', alg: 'ES256', use: 'sig' }] },
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'orders:read orders:write',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  })
  server = provider.listen(port, '127.0.0.1') as unknown as Server
  await new Promise((resolve) => server.once('listening', resolve))
})
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())))

async function token(resource = API, scope = 'orders:read'): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('svc:svc-secret-0123456789').toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }).toString(),
  })
  const body = (await res.json()) as { access_token?: string; error?: string }
  if (!body.access_token) throw new Error(`oidc-provider refused: ${JSON.stringify(body)}`)
  return body.access_token
}

describe('oidc-provider issues, tokenward verifies (RFC 9068 at+jwt)', () => {
  it('accepts its access token for our audience and grants its scopes; revocation by jti works', async () => {
    const auth = createAuth({ jwks: `${issuer}/jwks`, issuer, audience: API })
    const at = await token()
    const ctx = await auth.authenticate({ authorization: `Bearer ${at}` })
    expect(ctx.claims).toMatchObject({ sub: 'svc', client_id: 'svc', iss: issuer, aud: API })
    auth.authorize(ctx, { scopes: ['orders:read'] })
    expect(() => auth.authorize(ctx, { scopes: ['orders:write'] })).toThrow(/orders:write/)
    await auth.revoke(at)
    expect(await codeOf(auth.verifyAccessToken(at))).toBe('token_revoked')
  })

  it('refuses its token minted for another resource (aud), and for another issuer', async () => {
    const other = await token('https://billing.example.com')
    const auth = createAuth({ jwks: `${issuer}/jwks`, issuer, audience: API })
    expect(await codeOf(auth.verifyAccessToken(other))).toBe('token_claim_invalid')
    const strict = createAuth({
      jwks: `${issuer}/jwks`,
      issuer: 'https://someone-else.example',
      audience: API,
    })
    expect(await codeOf(strict.verifyAccessToken(await token()))).toBe('token_claim_invalid')
  })
})
