// Seed 004 (Velithon): login / refresh / me / logout, an admin-only route (403 for users),
// scope-protected routes, and claims carrying tenant and session ids — on Hono.
// Run: node docs/examples/004-hono-scopes-tenants/app.mjs
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createAuth } from 'tokenward'
import { authenticate, authRoutes, requireRoles, requireScopes } from 'tokenward/hono'
import { hashPassword } from 'tokenward/password'

export async function createApp(options = {}) {
  const users = new Map([
    [
      'admin',
      {
        id: '1',
        username: 'admin',
        roles: ['admin'],
        scope: 'users:read users:write',
        tenant_id: 'acme',
        is_active: true,
        passwordHash: await hashPassword('admin123'),
      },
    ],
    [
      'user',
      {
        id: '2',
        username: 'user',
        roles: ['user'],
        scope: 'users:read',
        tenant_id: 'acme',
        is_active: true,
        passwordHash: await hashPassword('user123'),
      },
    ],
  ])
  const byId = (id) => [...users.values()].find((u) => u.id === id && u.is_active) ?? null
  const claimsFor = (u) => ({ sub: u.id, roles: u.roles, scope: u.scope, tenant_id: u.tenant_id })
  const auth = createAuth({
    secret: process.env.JWT_SECRET ?? 'seed-004-secret-at-least-32-bytes-long!!',
    accessTokenTtl: '30m',
    resolveUser: (claims) => byId(claims.sub),
    claimsFor,
    ...(options.now ? { now: options.now } : {}),
  })
  const app = new Hono()
  app.route('/', authRoutes(auth, { findUser: (name) => users.get(name) ?? null, claimsFor }))
  app.use('/protected', authenticate(auth))
  app.get('/protected', (c) =>
    // The session id is the token family id (fid): every token rotated from one login shares it.
    c.json({
      message: `Hello ${c.var.user.username}`,
      tenant_id: c.var.auth.claims.tenant_id,
      session_id: c.var.auth.claims.fid,
    }),
  )
  app.get('/admin-only', authenticate(auth), requireRoles('admin'), (c) => c.json({ message: 'admin area' }))
  app.get('/api/users/read', authenticate(auth), requireScopes('users:read'), (c) =>
    c.json({ users: [...users.keys()] }),
  )
  app.post('/api/users/write', authenticate(auth), requireScopes('users:write'), (c) =>
    c.json({ written: true }),
  )
  return { app, auth }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { app } = await createApp()
  serve({ fetch: app.fetch, port: Number(process.env.PORT || 3000), hostname: '127.0.0.1' }, (info) =>
    console.log(`seed 004 on http://127.0.0.1:${info.port} (admin/admin123, user/user123)`),
  )
}
