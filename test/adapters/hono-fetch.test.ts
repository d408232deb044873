import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { type AuthEnv, authenticate, requireRoles } from '../../src/adapters/hono.js'
import { csrfKeysOf } from '../../src/core/context.js'
import { sessionOf } from '../../src/core/credentials/cookies.js'
import { createAuth } from '../../src/index.js'

// On @hono/node-server the adapter reads the Node request's headers (test/adapters/http-matrix);
// on Workers, Deno and Bun it gets only the Fetch Request. Both must answer alike.
describe('hono: the Fetch-only path (no Node request in c.env)', () => {
  const auth = createAuth({ secret: 'hono-fetch-test-secret-at-least-32-bytes!!', cookies: true })
  const app = new Hono<AuthEnv>()
  app.use('/api/*', authenticate(auth))
  app.get('/api/me', (c) => c.json({ sub: c.var.auth.claims.sub }))
  app.post('/api/admin', requireRoles('admin'), (c) => c.json({ ok: true }))

  it('authenticates a bearer token, and refuses a missing or garbage one', async () => {
    const { accessToken } = await auth.issueTokens({ sub: 'ada', roles: ['admin'] })
    const ok = await app.fetch(
      new Request('http://x/api/me', { headers: { authorization: `Bearer ${accessToken}` } }),
    )
    expect(await ok.json()).toEqual({ sub: 'ada' })
    expect((await app.fetch(new Request('http://x/api/me'))).status).toBe(401)
    const bad = await app.fetch(new Request('http://x/api/me', { headers: { authorization: 'Bearer x.y' } }))
    expect(bad.status).toBe(401)
    expect((await bad.json()).error).toBe('token_malformed')
  })

  it('reads the access cookie, and wants the signed CSRF token on unsafe methods', async () => {
    const { accessToken } = await auth.issueTokens({ sub: 'ada', roles: ['admin'] })
    const csrf = csrfKeysOf(auth).tokenFor(sessionOf(accessToken)!)
    const cookie = `__Host-tw_access=${accessToken}; __Host-tw_csrf=${csrf}`
    expect((await app.fetch(new Request('http://x/api/me', { headers: { cookie } }))).status).toBe(200)
    const noCsrf = await app.fetch(new Request('http://x/api/admin', { method: 'POST', headers: { cookie } }))
    expect(noCsrf.status).toBe(403)
    expect((await noCsrf.json()).error).toBe('csrf_failed')
    const withCsrf = await app.fetch(
      new Request('http://x/api/admin', { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } }),
    )
    expect(withCsrf.status).toBe(200)
  })
})
