// Seed 000 (Nexios, "Day 8: JWT Auth"): an auth backend with a user-from-payload hook, a per-route
// guard (`/protected`), a protected router group (`/api/profile`), 401/403 exception handlers that
// answer `{ "error": str(exc) }` — and the guide's practice exercise: registration, login, password
// reset, token refresh, roles with a hierarchy and permissions, hashing, blacklisting (logout),
// rate limiting. On Express.
// Run: node docs/examples/000-express-guards/app.mjs   (PORT, JWT_SECRET optional)
import { pathToFileURL } from 'node:url'
import express from 'express'
import { createAuth, isAuthError } from 'tokenward'
import { authenticate, authRouter, requirePermissions, requireRoles } from 'tokenward/express'
import { hashPassword } from 'tokenward/password'

export async function createApp(options = {}) {
  // The guide leaves `validate_user` to the reader: an in-memory table of argon2id hashes here.
  const users = new Map()
  let nextId = 1
  /** Adds a user; null when the username is taken (checked after hashing, in the same turn as the insert). */
  const addUser = async (username, email, password, roles) => {
    const passwordHash = await hashPassword(password)
    if (users.has(username)) return null
    const user = { id: String(nextId++), username, email, roles, passwordHash }
    users.set(username, user)
    return user
  }
  await addUser('ada', 'ada@example.com', 'ada-password', ['admin'])
  await addUser('bob', 'bob@example.com', 'bob-password', ['user'])
  const byId = (id) => [...users.values()].find((u) => u.id === id) ?? null
  // The guide's create_jwt payload: sub, username, roles.
  const claimsFor = (user) => ({ sub: user.id, username: user.username, roles: user.roles })

  const auth = createAuth({
    secret: process.env.JWT_SECRET ?? 'seed-000-secret-at-least-32-bytes-long!!',
    // get_user_from_payload: every authenticated request gets the live user (null → 401).
    resolveUser: (claims) => byId(claims.sub),
    claimsFor,
    // Exercise 2: roles, a role hierarchy and permission checking.
    roleHierarchy: { admin: ['moderator'], moderator: ['user'] },
    rolePermissions: { moderator: ['posts:delete'] },
    ...(options.now ? { now: options.now } : {}),
  })

  const app = express()
  app.use(express.json())

  // Exercise 1: user registration (the guide's "implement your own logic").
  app.post('/auth/register', async (req, res) => {
    const { username, email, password } = req.body ?? {}
    if (typeof username !== 'string' || typeof password !== 'string' || password.length < 8)
      return res.status(400).json({ error: 'username and a password of 8 or more characters are required' })
    const user = await addUser(username, typeof email === 'string' ? email : undefined, password, ['user'])
    if (!user) return res.status(400).json({ error: 'Username already registered' })
    res.status(201).json({ id: user.id, username: user.username, email: user.email })
  })

  // Exercise 1: password reset with a single-use token. A real app e-mails the link; the example
  // returns the token so the flow can be followed with curl.
  app.post('/auth/password-reset', async (req, res) => {
    const user = users.get(String(req.body?.username ?? ''))
    const answer = { message: 'If the account exists, a reset link has been sent.' }
    if (!user) return res.status(202).json(answer)
    const token = await auth.issueOneTimeToken('password_reset', user.id, '15m')
    res.status(202).json({ ...answer, reset_token: token })
  })
  // (Express 5 passes a rejected handler's error to the error handlers below.)
  app.post('/auth/password-reset/confirm', async (req, res) => {
    const { token, new_password: password } = req.body ?? {}
    if (typeof token !== 'string' || typeof password !== 'string' || password.length < 8)
      return res.status(400).json({ error: 'token and a new_password of 8 or more characters are required' })
    const user = byId(await auth.consumeOneTimeToken(token, 'password_reset'))
    if (!user) return res.status(400).json({ error: 'the account no longer exists' })
    user.passwordHash = await hashPassword(password)
    // A new password ends every session the old one opened (token blacklisting by subject).
    await auth.revokeSubject(user.id)
    res.json({ message: 'Password updated; sign in again.' })
  })

  // POST /auth/login (the guide's route, JSON username + password), /auth/refresh (exercise 1:
  // token refresh, rotated), /auth/logout (blacklisting), /auth/me — with a login rate limit.
  app.use(authRouter(auth, { findUser: (username) => users.get(username) ?? null, claimsFor }))

  // Protect a single endpoint: @auth(["jwt"]).
  app.get('/protected', authenticate(auth, { passErrors: true }), (req, res) => {
    res.json({ message: `Hello, ${req.user.username}!`, user_id: req.user.id })
  })

  // Protect a group of routes: Router(prefix="/api") behind the middleware.
  const api = express.Router()
  api.use(authenticate(auth, { passErrors: true }))
  api.get('/profile', (req, res) =>
    res.json({ id: req.user.id, username: req.user.username, email: req.user.email }),
  )
  api.put('/profile', (req, res) => {
    if (typeof req.body?.email === 'string') req.user.email = req.body.email
    const { passwordHash, ...updated } = req.user
    res.json(updated)
  })
  // Roles: moderators and (through the hierarchy) admins; permissions: granted by roles.
  api.get('/moderation', requireRoles('moderator'), (_req, res) => res.json({ queue: [] }))
  api.delete('/posts/:id', requirePermissions('posts:delete'), (req, res) =>
    res.json({ deleted: req.params.id }),
  )
  app.use('/api', api)

  // @app.add_exception_handler(AuthenticationError) → 401, (AuthorizationError) → 403, both
  // `{ "error": str(exc) }`; `code` is tokenward's stable code, for clients that switch on it.
  app.use((err, _req, res, next) => {
    if (!isAuthError(err)) return next(err)
    res.status(err.status).set(err.headers).json({ error: err.message, code: err.code })
  })
  return { app, auth, users }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { app } = await createApp()
  const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
    console.log(`seed 000 on http://127.0.0.1:${server.address().port}`)
    console.log('  accounts: ada / ada-password (admin), bob / bob-password (user)')
  })
}
