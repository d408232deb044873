// Seed 002 (Ravyn + Mongoz, "JWT Authentication Middleware"): JWTAuthMiddleware(config=JWTConfig(
// secret=…), user=User) validates the Bearer token and puts the user document on the request;
// protect every route (GET /profile, the pitfall's /api/profile), or only an included group
// (public GET /, protected GET /dashboard) — on Hono.
// Run: node docs/examples/002-hono-user-middleware/app.mjs   (PROTECT=all for the protect-all app;
// JWT_SECRET optional). Sign in with POST /auth/login {"username": "ada@example.com", "password": "ada-password"}.
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createAuth } from 'tokenward'
import { authenticate, authRoutes } from 'tokenward/hono'
import { hashPassword } from 'tokenward/password'

/** A Mongoz-style user document: `await User.query.get({ id })`, `User.create({ … })`. */
export class User {
  static #rows = []
  constructor(fields) {
    Object.assign(this, { is_active: true }, fields)
  }
  static query = {
    /** The active user matching every field given, or null. */
    async get(filter) {
      const found = User.#rows.find((u) => Object.entries(filter).every(([k, v]) => u[k] === v))
      return found?.is_active ? found : null
    },
  }
  static async create({ password, ...fields }) {
    const user = new User({
      id: String(User.#rows.length + 1),
      ...fields,
      password: await hashPassword(password),
    })
    User.#rows.push(user)
    return user
  }
}

/** The guide's users: created once per process. */
let seeded
export function seedUsers() {
  seeded ??= (async () => {
    await User.create({ email: 'ada@example.com', first_name: 'Ada', password: 'ada-password' })
    await User.create({ email: 'ivan@example.com', first_name: 'Ivan', password: 'ivan-password' })
  })()
  return seeded
}

/**
 * JWTConfig: the secret from the environment (best practice 1), a 15-minute access token and a
 * 7-day refresh token (best practice 2; lifetimes in seconds, as in the guide).
 */
export function jwtConfig(env = process.env) {
  return {
    secret: env.JWT_SECRET ?? 'seed-002-secret-at-least-32-bytes-long!!',
    accessTokenLifetime: 900,
    refreshTokenLifetime: 604800,
  }
}

/**
 * JWTAuthMiddleware(config, user): the tokenward Auth that loads `request.user` through the user
 * document CLASS, and the Hono middleware. Pitfall 2 of the guide — passing an instance instead of
 * the class — fails here, at start-up, with a message that says so.
 */
export function jwtAuthMiddleware({ config, user, now }) {
  if (typeof user !== 'function' || typeof user.query?.get !== 'function')
    throw new TypeError('JWTAuthMiddleware: `user` must be the User document class (User), not an instance')
  const auth = createAuth({
    secret: config.secret,
    accessTokenTtl: config.accessTokenLifetime,
    refreshTokenTtl: config.refreshTokenLifetime,
    // An unknown or inactive user is rejected (401 user_not_found), like Ravyn's NotAuthorized.
    resolveUser: (claims) => user.query.get({ id: claims.sub }),
    ...(now ? { now } : {}),
  })
  return { auth, middleware: authenticate(auth) }
}

/** Login (by e-mail) and refresh, so a client can get the token the middleware checks (step 1). */
function loginRoutes(auth) {
  return authRoutes(auth, {
    findUser: (email) => User.query.get({ email }),
    passwordHashOf: (user) => user.password,
  })
}

/** "Automatic protection": every route under the middleware needs a token. */
export function protectAll({ auth, middleware }) {
  const app = new Hono()
  // Registered before the middleware, so signing in needs no token.
  app.route('/', loginRoutes(auth))
  app.use('*', middleware)
  const profile = (c) => c.json({ email: c.var.user.email, name: c.var.user.first_name })
  app.get('/profile', profile)
  app.get('/api/profile', profile) // the path the guide's fetch() pitfall calls
  return app
}

/** "Selective protection": a public route and an Include whose routes need a token. */
export function protectGroup({ auth, middleware }) {
  const app = new Hono()
  app.route('/', loginRoutes(auth))
  app.get('/', (c) => c.json({ message: 'Welcome' }))
  const included = new Hono()
  included.use('*', middleware)
  included.get('/dashboard', (c) => c.json({ user: c.var.user.email }))
  app.route('/', included)
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await seedUsers()
  const jwt = jwtAuthMiddleware({ config: jwtConfig(), user: User })
  const all = process.env.PROTECT === 'all'
  const app = all ? protectAll(jwt) : protectGroup(jwt)
  serve({ fetch: app.fetch, port: Number(process.env.PORT || 3000), hostname: '127.0.0.1' }, (info) => {
    console.log(
      `seed 002 on http://127.0.0.1:${info.port} (${all ? 'every route protected' : 'GET / public, GET /dashboard protected'})`,
    )
    console.log('  accounts: ada@example.com / ada-password, ivan@example.com / ivan-password')
  })
}
