// Seed 004 (Velithon, "JWT Tokens"): its users john_doe / admin (bcrypt hashes, an is_active flag),
// POST /auth/login (tokens + the user), POST /auth/refresh {"refresh_token"}, GET /auth/me,
// POST /auth/logout (revocation), GET /protected, GET /admin-only (401 vs 403), scope-guarded
// GET /api/users/read and POST /api/users/write, claims with tenant and session ids, and the
// guide's browser client at GET /secure-client — on Hono.
// Run: node docs/examples/004-hono-scopes-tenants/app.mjs   (PORT default 8000; JWT_SECRET optional)
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { hash as bcryptHash } from '@node-rs/bcrypt'
import { Hono } from 'hono'
import { createAuth } from 'tokenward'
import { authenticate, authRoutes, requireRoles, requireScopes } from 'tokenward/hono'

/** UserService's mock database: the guide's two users, their passwords hashed with bcrypt as it does. */
async function userService() {
  const users = new Map()
  for (const user of [
    {
      id: 'user1',
      username: 'john_doe',
      email: 'john@example.com',
      password: 'password123',
      roles: ['user'],
      scopes: ['users:read'],
    },
    {
      id: 'admin1',
      username: 'admin',
      email: 'admin@example.com',
      password: 'admin123',
      roles: ['admin', 'user'],
      scopes: ['users:read', 'users:write'],
    },
  ]) {
    const { password, ...fields } = user
    users.set(user.id, {
      ...fields,
      // `bcrypt.hashpw(…, bcrypt.gensalt())` writes $2b$, cost 12: tokenward verifies bcrypt hashes (with the optional
      // peer @node-rs/bcrypt) and moves each one to argon2id at its first successful login.
      password_hash: await bcryptHash(password, { cost: 12, version: '2b' }),
      is_active: true,
      tenant_id: 'acme',
    })
  }
  return {
    users,
    getUserByUsername: (username) => [...users.values()].find((u) => u.username === username) ?? null,
    getUserById: (id) => users.get(id) ?? null,
  }
}

/** What the guide's login, /auth/me and its browser client show of a user. */
const publicUser = (u) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  roles: u.roles,
  is_active: u.is_active,
})

export async function createApp(options = {}) {
  const service = await userService()
  // TokenClaims: sub (user_id), username, roles, scopes, tenant_id. The session id is the token
  // family id `fid` that tokenward puts in every token of one login (it survives refreshes).
  // Scopes go in the standard space-separated `scope` claim (RFC 8693 §4.2).
  const claimsFor = (u) => ({
    sub: u.id,
    username: u.username,
    roles: u.roles,
    scope: u.scopes.join(' '),
    tenant_id: u.tenant_id,
  })
  const auth = createAuth({
    secret: process.env.JWT_SECRET ?? 'seed-004-secret-at-least-32-bytes-long!!',
    accessTokenTtl: '30m', // access_token_expire_minutes = 30
    refreshTokenTtl: '7d', // refresh_token_expire_days = 7
    // The guide's browser client keeps the refresh token it got at login and presents it again
    // every 25 minutes. With rotation (tokenward's default) its second refresh would present a
    // spent token, be taken for theft and end the session; without rotation the same refresh token
    // keeps minting access tokens until it expires or the session is revoked (logout).
    rotateRefreshTokens: false,
    // get_current_user: the user by id; an inactive one is refused (the guide checks is_active at login).
    resolveUser: (claims) => {
      const user = service.getUserById(claims.sub)
      return user?.is_active ? user : null
    },
    claimsFor,
    ...(options.now ? { now: options.now } : {}),
  })

  const app = new Hono()

  // The guide's login answer carries the user too (its browser client shows it): tokenward's
  // answer, plus `user`, looked up from the token just issued.
  app.use('/auth/login', async (c, next) => {
    await next()
    if (c.req.method !== 'POST' || c.res.status !== 200) return
    const body = await c.res.clone().json()
    const { sub } = await auth.verifyAccessToken(body.access_token)
    c.res = new Response(JSON.stringify({ ...body, user: publicUser(service.getUserById(sub)) }), c.res)
  })

  // POST /auth/logout behind require_jwt_auth, answering as the guide does. The guide's enhanced
  // version blacklists the access token for its remaining TTL; tokenward revokes the whole session,
  // so the (non-rotating) refresh token dies with it.
  app.post('/auth/logout', authenticate(auth), async (c) => {
    await auth.revoke(c.var.auth.token, { session: true })
    return c.json({ message: 'Successfully logged out' })
  })

  // POST /auth/login (400 without username or password, 401 for wrong ones or an inactive user),
  // POST /auth/refresh {"refresh_token"} (400 without it), GET /auth/me.
  app.route(
    '/',
    authRoutes(auth, {
      findUser: (username) => {
        const user = service.getUserByUsername(username)
        return user?.is_active ? user : null
      },
      passwordHashOf: (u) => u.password_hash,
      updatePasswordHash: (u, newHash) => {
        u.password_hash = newHash
      },
      claimsFor,
      toPublicUser: publicUser,
    }),
  )

  app.get('/protected', authenticate(auth), (c) =>
    c.json({
      message: `Hello ${c.var.user.username}!`,
      user_id: c.var.user.id,
      roles: c.var.user.roles,
      tenant_id: c.var.auth.claims.tenant_id,
      session_id: c.var.auth.claims.fid,
    }),
  )
  app.get('/admin-only', authenticate(auth), requireRoles('admin'), (c) =>
    c.json({
      message: `Admin access granted for ${c.var.user.username}`,
      admin_data: 'Sensitive admin information',
    }),
  )
  app.get('/api/users/read', authenticate(auth), requireScopes('users:read'), (c) =>
    c.json({ users: [...service.users.keys()] }),
  )
  app.post('/api/users/write', authenticate(auth), requireScopes('users:write'), async (c) => {
    const data = await c.req.json().catch(() => null)
    if (data === null) return c.json({ error: 'invalid_request', message: 'a JSON body is required' }, 400)
    return c.json({ message: 'User created', user: data })
  })

  const client = await readFile(new URL('./secure-client.html', import.meta.url), 'utf8')
  app.get('/secure-client', (c) => c.html(client))
  return { app, auth, users: service.users }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { app } = await createApp()
  serve({ fetch: app.fetch, port: Number(process.env.PORT || 8000), hostname: '127.0.0.1' }, (info) => {
    console.log(`seed 004 on http://127.0.0.1:${info.port} (browser client: /secure-client)`)
    console.log('  accounts: john_doe / password123 (user), admin / admin123 (admin)')
  })
}
