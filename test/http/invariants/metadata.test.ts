// The RFC 8414 metadata says what the server
// does: with DPoP on it lists the accepted proof algorithms (RFC 9449 §5.1,
// dpop_signing_alg_values_supported), and introspection is never offered to a client without
// authentication. Metadata is served with asymmetric keys only, so the Auth signs with ES256.
// Over real HTTP on Express, Fastify and Hono.
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type AuthOptions, createAuth } from '../../../src/index.js'
import { FRAMEWORKS, type Served, serveAuth } from './app.js'

let privateJwk: JWK
beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  privateJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'es1' }
})

describe.each(FRAMEWORKS)('%s: RFC 8414 metadata', (framework) => {
  let app: Served | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  const metadataOf = async (options: Pick<AuthOptions<object, unknown>, 'dpop' | 'clients'>) => {
    app = await serveAuth(
      framework,
      createAuth({ keys: [privateJwk], issuer: 'https://id.example.com', ...options }),
    )
    const res = await fetch(`${app.url}/.well-known/oauth-authorization-server`)
    expect(res.status).toBe(200)
    return (await res.json()) as Record<string, unknown>
  }

  it('with dpop: true lists dpop_signing_alg_values_supported: the algorithms its DPoP challenge accepts', async () => {
    const metadata = await metadataOf({ dpop: true })
    const challenge = (await fetch(`${app!.url}/auth/me`)).headers.get('www-authenticate') ?? ''
    const algs = /algs="([^"]+)"/.exec(challenge)?.[1]?.split(' ')
    expect(algs).toContain('ES256')
    expect(metadata.dpop_signing_alg_values_supported).toEqual(algs)
  })

  it('lists exactly the configured dpop.algorithms', async () => {
    const metadata = await metadataOf({ dpop: { algorithms: ['ES256', 'EdDSA'] } })
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA'])
  })

  it('without DPoP does not list dpop_signing_alg_values_supported', async () => {
    expect(await metadataOf({})).not.toHaveProperty('dpop_signing_alg_values_supported')
  })

  it('never offers introspection without client authentication (no "none")', async () => {
    const metadata = await metadataOf({
      clients: { backend: { secret: 'backend-secret-0123456789' }, spa: {} },
    })
    const methods = metadata.introspection_endpoint_auth_methods_supported as string[]
    expect(methods.length).toBeGreaterThan(0)
    expect(methods).not.toContain('none')
  })
})
