// tokenward demo: a Hono API and a small web page that show login, protected calls, automatic
// refresh, logout and "log out everywhere". Run with `npm start` (it builds the package first).
//
// Embedded defaults: memory store, an in-memory user table with real argon2id hashes, cookie mode
// with CSRF protection. Set REDIS_URL to share revocations between several demo processes.
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createAuth, memoryStore } from 'tokenward'
import { authenticate, authRoutes, requireRoles } from 'tokenward/hono'
import { hashPassword } from 'tokenward/password'

const PORT = Number(process.env.PORT || 3000)
const HOST = process.env.HOST ?? '127.0.0.1'
const ACCESS_TTL = process.env.DEMO_ACCESS_TTL ?? '60s'
// A fixed demo secret lets two demo processes verify each other's tokens (the scale-out walkthrough).
// Never ship a secret in code: real apps read it from the environment.
const SECRET = process.env.JWT_SECRET ?? 'tokenward-demo-secret-do-not-use-in-production'

const ACCOUNTS = [
  { id: 'u-alice', username: 'alice', password: 'alice-password', name: 'Alice (user)', roles: ['user'] },
  { id: 'u-root', username: 'admin', password: 'admin-password', name: 'Root (admin)', roles: ['admin'] },
]

async function makeStore() {
  if (!process.env.REDIS_URL) return { store: memoryStore(), label: 'memory store (this process only)' }
  const { createClient } = await import('redis')
  const { redisStore } = await import('tokenward/redis')
  const client = createClient({ url: process.env.REDIS_URL })
  client.on('error', (err) => console.error('redis:', err.message))
  await client.connect()
  return {
    store: redisStore({ client }),
    label: `Redis at ${process.env.REDIS_URL} (shared by every demo process)`,
  }
}

export async function createDemo() {
  const users = new Map()
  for (const account of ACCOUNTS) {
    const { password, ...user } = account
    users.set(user.username, { ...user, passwordHash: await hashPassword(password) })
  }
  const byId = (id) => [...users.values()].find((u) => u.id === id) ?? null
  const { store, label } = await makeStore()

  const auth = createAuth({
    secret: SECRET,
    issuer: 'tokenward-demo',
    audience: 'demo',
    accessTokenTtl: ACCESS_TTL,
    refreshTokenTtl: '1h',
    store,
    cookies: { secure: process.env.DEMO_INSECURE_COOKIES !== '1' },
    roleHierarchy: { admin: ['user'] },
    resolveUser: (claims) => byId(claims.sub),
    onEvent: (event) => {
      if (process.env.DEMO_QUIET !== '1')
        console.log(`[event] ${event.type}${'sub' in event ? ` ${event.sub}` : ''}`)
    },
  })

  const page = await readFile(new URL('./index.html', import.meta.url), 'utf8')
  const app = new Hono()
  app.get('/', (c) => c.html(page))
  app.route('/', authRoutes(auth, { findUser: (username) => users.get(username) ?? null }))

  const api = new Hono()
  api.use('*', authenticate(auth))
  api.get('/session', (c) => {
    const { claims } = c.var.auth
    return c.json({
      sub: claims.sub,
      roles: claims.roles,
      iat: claims.iat,
      exp: claims.exp,
      now: Date.now() / 1000,
    })
  })
  api.get('/user', (c) =>
    c.json({ message: `Hello ${c.var.user.name}, this route needs any signed-in user.` }),
  )
  api.get('/admin', requireRoles('admin'), (c) =>
    c.json({ message: `Welcome ${c.var.user.name}: this route needs the admin role.`, users: users.size }),
  )
  api.post('/logout-everywhere', async (c) => {
    await auth.revokeSubject(c.var.auth.claims.sub)
    return c.json({ message: 'Every session of this user is now revoked.' })
  })
  app.route('/api', api)
  return { app, auth, storeLabel: label }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { app, storeLabel } = await createDemo()
  const server = serve({ fetch: app.fetch, port: PORT, hostname: HOST }, (info) => {
    console.log(`tokenward demo on http://${HOST}:${info.port}`)
    console.log(`  store: ${storeLabel}; access tokens live ${ACCESS_TTL}`)
    console.log('  accounts:')
    for (const a of ACCOUNTS) console.log(`    ${a.username} / ${a.password}  (${a.roles.join(', ')})`)
  })
  const stop = () => server.close(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
