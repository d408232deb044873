import { type ServerType, serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthEnv, protect } from '../../src/adapters/hono.js'
import {
  type AccessClaims,
  type AuthEvent,
  createAuth,
  memoryStore,
  type TokenStore,
} from '../../src/index.js'

// protect(auth, [options], handler): one handler per route, so Hono keeps its fast path; the
// answers match authenticate + guards. Run over real HTTP with a synchronous store (memoryStore)
// and an asynchronous one (every call a promise, as Redis), with and without a user lookup.
const SECRET = 'hono-protect-test-secret-at-least-32-bytes!'

function asyncStore(): TokenStore {
  const inner = memoryStore()
  return {
    revoke: (...a) => inner.revoke(...a),
    isRevoked: async (...a) => inner.isRevoked(...a),
    consume: (...a) => inner.consume(...a),
    setCutoff: (...a) => inner.setCutoff(...a),
    getCutoff: (...a) => inner.getCutoff(...a),
    hit: (...a) => inner.hit(...a),
  }
}

describe.each([
  ['memory store', () => memoryStore(), false],
  ['async store + resolveUser', asyncStore, true],
] as const)('hono protect() with %s', (_name, makeStore, withUser) => {
  const events: AuthEvent[] = []
  const auth = createAuth({
    secret: SECRET,
    store: makeStore(),
    roleHierarchy: { admin: ['user'] },
    onEvent: (e) => {
      events.push(e)
    },
    ...(withUser ? { resolveUser: async (claims: AccessClaims) => ({ id: claims.sub }) } : {}),
  })
  const app = new Hono<AuthEnv>()
  app.get(
    '/me',
    protect(auth, (c) => c.json({ sub: c.var.auth.claims.sub, user: c.var.user })),
  )
  app.get(
    '/admin',
    protect(auth, { roles: ['admin'] }, (c) => c.json({ admin: true })),
  )
  let server: ServerType
  let base: string
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        base = `http://127.0.0.1:${info.port}`
        resolve()
      })
    })
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})

  it('runs the handler for a valid token, the first time and again from the cache', async () => {
    const { accessToken } = await auth.issueTokens({ sub: 'ada', roles: ['user'] })
    for (let i = 0; i < 2; i++) {
      const res = await get('/me', accessToken)
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(body.sub).toBe('ada')
      expect(body.user).toEqual(withUser ? { id: 'ada' } : expect.objectContaining({ sub: 'ada' }))
    }
  })

  it('answers 401 without a token, for garbage and after revocation; emits each failure once', async () => {
    events.length = 0
    const missing = await get('/me')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
    expect((await get('/me', 'garbage')).status).toBe(401)
    const { accessToken } = await auth.issueTokens({ sub: 'bob', roles: ['user'] })
    expect((await get('/me', accessToken)).status).toBe(200)
    await auth.revoke(accessToken)
    const revoked = await get('/me', accessToken)
    expect(revoked.status).toBe(401)
    expect((await revoked.json()).error).toBe('token_revoked')
    const failures = events.filter((e) => e.type === 'authentication_failed').map((e) => e.code)
    expect(failures).toEqual(['token_missing', 'token_malformed', 'token_revoked'])
  })

  it('applies the role requirement (403 insufficient_role) and the hierarchy', async () => {
    const user = (await auth.issueTokens({ sub: 'u', roles: ['user'] })).accessToken
    const admin = (await auth.issueTokens({ sub: 'a', roles: ['admin'] })).accessToken
    const forbidden = await get('/admin', user)
    expect(forbidden.status).toBe(403)
    expect((await forbidden.json()).error).toBe('insufficient_role')
    expect((await get('/admin', admin)).status).toBe(200)
  })
})
