// Seed 001 (FastAPI, "JWT Authentication"): settings from the environment (or a .env file),
// access + refresh tokens, POST /auth/register → POST /auth/token (OAuth2 password form) →
// GET /protected → POST /auth/refresh {"refresh_token"} → GET /auth/me → POST /auth/logout
// (revocation; Redis in production) — on Fastify, answering the guide's curl commands as written.
// Run: node docs/examples/001-fastify-oauth2/app.mjs   (PORT default 8000, as in the guide's curl;
// SECRET_KEY, ALGORITHM, ACCESS_TOKEN_EXPIRE_MINUTES, REFRESH_TOKEN_EXPIRE_DAYS, REDIS_URL optional)
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { createAuth } from 'tokenward'
import tokenward from 'tokenward/fastify'
import { hashPassword } from 'tokenward/password'

/** config.py's `Settings`: the same names, read from the environment, with the guide's defaults. */
export function settingsFromEnv(env = process.env) {
  return {
    secretKey: env.SECRET_KEY ?? 'your-secret-key-change-in-production',
    algorithm: env.ALGORITHM ?? 'HS256',
    accessTokenExpireMinutes: Number(env.ACCESS_TOKEN_EXPIRE_MINUTES ?? 30),
    refreshTokenExpireDays: Number(env.REFRESH_TOKEN_EXPIRE_DAYS ?? 7),
  }
}

/**
 * The app. `options.store` is where revocations live (the guide's "Redis blacklist"; default: in
 * memory, its "simple blacklist"); `options.now` is a clock for tests.
 */
export async function createApp(env = process.env, options = {}) {
  const settings = settingsFromEnv(env)
  // users_db: keyed by username, which is also the token's `sub` (as in the guide).
  const users = new Map()
  let userIdCounter = 1
  const auth = createAuth({
    secret: settings.secretKey,
    algorithm: settings.algorithm,
    // A NaN here (ACCESS_TOKEN_EXPIRE_MINUTES=abc) is refused at start-up, never silently ignored.
    accessTokenTtl: `${settings.accessTokenExpireMinutes}m`,
    refreshTokenTtl: `${settings.refreshTokenExpireDays}d`,
    // get_current_user: the user behind the token, or 401 ("User not found").
    resolveUser: (claims) => users.get(claims.sub) ?? null,
    ...(options.store ? { store: options.store } : {}),
    ...(options.now ? { now: options.now } : {}),
  })
  // The guide's `type: access|refresh` claim is tokenward's `typ` header (at+jwt / refresh+jwt): a
  // refresh token is never accepted as an access token, nor the other way round.
  const claimsFor = (user) => ({ sub: user.username })

  const app = Fastify()
  app.get('/', async () => ({ message: 'Welcome to the API' }))

  app.post('/auth/register', async (request, reply) => {
    const { username, email, password } = request.body ?? {}
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      !/^[^@\s]+@[^@\s]+$/.test(email ?? '')
    )
      return reply
        .code(422)
        .send({ error: 'invalid_request', message: 'username, email and password required' })
    // Hash first: the check and the insert below then run in one turn, so two concurrent
    // registrations of one username cannot both succeed.
    const passwordHash = await hashPassword(password)
    if (users.has(username))
      return reply.code(400).send({ error: 'username_taken', message: 'Username already registered' })
    const user = { id: userIdCounter++, username, email, passwordHash }
    users.set(username, user)
    return reply.code(201).send({ id: user.id, username, email })
  })

  // POST /auth/token (OAuth2PasswordRequestForm: form-encoded username + password), POST
  // /auth/refresh (JSON {"refresh_token"}), GET /auth/me — tokenward's routes; /auth/me shows the
  // user without its hash: {id, username, email}.
  await app.register(tokenward, {
    auth,
    routes: { findUser: (username) => users.get(username) ?? null, claimsFor },
  })

  // POST /auth/logout: the guide blacklists the presented token; tokenward ends its whole session
  // (the refresh token stops working too). This route takes precedence over the plugin's /auth/*.
  app.post('/auth/logout', { preHandler: app.authenticate }, async (request) => {
    await auth.revoke(request.auth.token, { session: true })
    return { message: 'Successfully logged out' }
  })

  app.get('/protected', { preHandler: app.authenticate }, async (request) => ({
    message: 'This is protected content',
    user: request.user.username,
  }))
  app.get('/items/', { preHandler: app.authenticate }, async (request) => ({
    items: [],
    user: request.user.username,
  }))
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // `class Config: env_file = ".env"`: a .env in the working directory fills in the environment.
  if (existsSync('.env')) process.loadEnvFile('.env')
  let store
  if (process.env.REDIS_URL) {
    const { createClient } = await import('redis')
    const { redisStore } = await import('tokenward/redis')
    const client = createClient({ url: process.env.REDIS_URL })
    await client.connect()
    store = redisStore({ client })
  }
  const app = await createApp(process.env, { store })
  const url = await app.listen({ port: Number(process.env.PORT || 8000), host: '127.0.0.1' })
  console.log(`seed 001 on ${url}${store ? ` (revocations in Redis at ${process.env.REDIS_URL})` : ''}`)
}
