import { Validator } from '@seriousme/openapi-schema-validator'
import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { AUTH_ROUTES } from '../../src/http/routes/table.js'
import { type AuthRouteRequest, authOpenApi, createAuth, createAuthRoutes } from '../../src/index.js'
import { SECRET } from '../helpers.js'

const get = (path: string): AuthRouteRequest => ({ method: 'GET', path, headers: {} })

describe('OpenAPI document of the auth routes', () => {
  it('is a valid OpenAPI 3.1 document with every route of the table, under the prefix in force', async () => {
    const auth = createAuth({ secret: SECRET, cookies: true, clients: { web: {} } })
    const doc = authOpenApi(auth, { findUser: () => null, prefix: '/api/auth', openapi: true })
    const result = await new Validator().validate(doc as Parameters<Validator['validate']>[0])
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
    // Every route of the table (path parameters in OpenAPI form), and the document itself.
    const expected = [...AUTH_ROUTES.map((r) => r.path.replace(/:(\w+)/g, '{$1}')), '/openapi.json']
    expect(Object.keys(doc.paths as object).sort()).toEqual(
      [...new Set(expected)].map((p) => `/api/auth${p}`).sort(),
    )
    expect(expected).toContain('/reauthenticate')
    const schemes = (doc.components as { securitySchemes: Record<string, unknown> }).securitySchemes
    expect(schemes).toMatchObject({
      bearer: { scheme: 'bearer' },
      cookie: { in: 'cookie', name: '__Host-tw_access' },
      client: { scheme: 'basic' },
    })
  })

  it('is served at <prefix>/openapi.json only when asked', async () => {
    const auth = createAuth({ secret: SECRET })
    const on = createAuthRoutes(auth, { findUser: () => null, openapi: true })
    const served = await on.handle(get('/openapi.json'))
    expect(served!.status).toBe(200)
    expect((served!.body as { openapi: string }).openapi).toBe('3.1.0')
    const off = createAuthRoutes(auth, { findUser: () => null })
    expect(await off.handle(get('/openapi.json'))).toBeUndefined()
  })
})

describe('root routes: JWKS and RFC 8414 metadata', () => {
  it('publishes the public keys and the metadata when asymmetric keys are configured', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const auth = createAuth({
      keys: [{ ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'k1' }],
      issuer: 'https://id.example.com',
    })
    const routes = createAuthRoutes(auth, { findUser: () => null, prefix: '/oauth' })
    expect(routes.rootRoutes.map((r) => r.path)).toEqual([
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server',
    ])
    const jwks = await routes.handleRoot(get('/.well-known/jwks.json'))
    const keys = (jwks!.body as { keys: Record<string, unknown>[] }).keys
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kid: 'k1', alg: 'ES256', kty: 'EC' })
    expect(keys[0]).not.toHaveProperty('d')
    const meta = await routes.handleRoot(get('/.well-known/oauth-authorization-server'))
    expect(meta!.body).toMatchObject({
      issuer: 'https://id.example.com',
      token_endpoint: 'https://id.example.com/oauth/token',
      revocation_endpoint: 'https://id.example.com/oauth/revoke',
      introspection_endpoint: 'https://id.example.com/oauth/introspect',
      jwks_uri: 'https://id.example.com/.well-known/jwks.json',
      grant_types_supported: ['password', 'refresh_token'],
    })
  })

  it('publishes nothing for an HMAC secret', async () => {
    const routes = createAuthRoutes(createAuth({ secret: SECRET }), { findUser: () => null })
    expect(routes.rootRoutes).toEqual([])
    expect(await routes.handleRoot(get('/.well-known/jwks.json'))).toBeUndefined()
  })
})
