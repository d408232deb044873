// Seed 000 (Nexios): a user-from-payload hook, a per-route guard, a protected router group,
// custom 401/403 handlers, and roles with a hierarchy — on Express.
// Run: node docs/examples/000-express-guards/app.mjs
import { pathToFileURL } from 'node:url'
import express from 'express'
import { createAuth, isAuthError } from 'tokenward'
import { authenticate, authRouter, requireRoles } from 'tokenward/express'
import { hashPassword } from 'tokenward/password'

export async function createApp() {
  const users = new Map([
    [
      'ada',
      {
        id: '1',
        username: 'ada',
        email: 'ada@example.com',
        roles: ['admin'],
        passwordHash: await hashPassword('ada-password'),
      },
    ],
    [
      'bob',
      {
        id: '2',
        username: 'bob',
        email: 'bob@example.com',
        roles: ['user'],
        passwordHash: await hashPassword('bob-password'),
      },
    ],
  ])
  const auth = createAuth({
    secret: process.env.JWT_SECRET ?? 'seed-000-secret-at-least-32-bytes-long!!',
    // The "user from payload" hook: every authenticated request gets the live user.
    resolveUser: (claims) => [...users.values()].find((u) => u.id === claims.sub) ?? null,
    roleHierarchy: { admin: ['moderator'], moderator: ['user'] },
  })
  const app = express()
  app.use(express.json())
  app.use(authRouter(auth, { findUser: (username) => users.get(username) ?? null }))

  // A single protected endpoint (the per-route guard).
  app.get('/protected', authenticate(auth, { passErrors: true }), (req, res) => {
    res.json({ message: `Hello, ${req.user.username}!`, user_id: req.user.id })
  })
  // A protected router group.
  const api = express.Router()
  api.use(authenticate(auth, { passErrors: true }))
  api.get('/profile', (req, res) =>
    res.json({ id: req.user.id, username: req.user.username, email: req.user.email }),
  )
  api.put('/profile', (req, res) => {
    req.user.email = String(req.body?.email ?? req.user.email)
    res.json({ id: req.user.id, email: req.user.email })
  })
  api.get('/moderation', requireRoles('moderator'), (_req, res) => res.json({ queue: [] })) // admins pass via the hierarchy
  app.use('/api', api)

  // Custom 401 / 403 handlers.
  app.use((err, _req, res, next) => {
    if (!isAuthError(err)) return next(err)
    if (err.status === 401)
      return res.status(401).set(err.headers).json({ error: 'Authentication required', code: err.code })
    if (err.status === 403) return res.status(403).json({ error: 'Permission denied', code: err.code })
    res.status(err.status).set(err.headers).json(err.toJSON())
  })
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await createApp()
  const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () =>
    console.log(`seed 000 on http://127.0.0.1:${server.address().port}`),
  )
}
