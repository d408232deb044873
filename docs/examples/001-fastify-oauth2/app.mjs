// Seed 001 (FastAPI): settings from the environment, register → OAuth2 password-form token →
// refresh → me → logout with revocation — on Fastify.
// Run: JWT_SECRET=… node docs/examples/001-fastify-oauth2/app.mjs
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { createAuth } from 'tokenward'
import tokenward from 'tokenward/fastify'
import { hashPassword } from 'tokenward/password'

export function settingsFromEnv(env = process.env) {
  return {
    secret: env.JWT_SECRET ?? 'seed-001-secret-at-least-32-bytes-long!!',
    accessTokenTtl: env.ACCESS_TOKEN_EXPIRE ?? '30m',
    refreshTokenTtl: env.REFRESH_TOKEN_EXPIRE ?? '7d',
    issuer: env.JWT_ISSUER ?? 'seed-001',
  }
}

export async function createApp(env = process.env) {
  const users = new Map()
  const auth = createAuth({ ...settingsFromEnv(env), resolveUser: (claims) => users.get(claims.sub) ?? null })
  const app = Fastify()
  await app.register(tokenward, { auth, routes: { findUser: (username) => users.get(username) ?? null } })
  app.post('/register', async (request, reply) => {
    const { username, password, email } = request.body ?? {}
    if (typeof username !== 'string' || typeof password !== 'string')
      return reply.code(400).send({ error: 'invalid_request' })
    if (users.has(username)) return reply.code(409).send({ error: 'username_taken' })
    const user = { id: username, username, email, passwordHash: await hashPassword(password) }
    users.set(username, user)
    return reply.code(201).send({ id: user.id, username, email })
  })
  app.get('/users/me', { preHandler: app.authenticate }, async (request) => {
    const { passwordHash, ...user } = request.user
    return user
  })
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await createApp()
  const url = await app.listen({ port: Number(process.env.PORT || 3000), host: '127.0.0.1' })
  console.log(`seed 001 on ${url}`)
}
