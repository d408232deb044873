// Runs on Bun and Deno against the BUILT package: the core flow, a Hono app over real HTTP, and
// argon2 hashing. Prints one JSON line of results; exits non-zero on the first failure.

import { Hono } from 'hono'
import { createAuth } from 'tokenward'
import { authenticate, authRoutes, requireRoles } from 'tokenward/hono'
import { hashPassword, verifyPassword } from 'tokenward/password'

const results = []
const check = (name, ok) => {
  results.push({ name, ok: Boolean(ok) })
  if (!ok) throw new Error(`failed: ${name}`)
}
const codeOf = (p) =>
  p.then(
    () => 'ok',
    (e) => e.code,
  )

const auth = createAuth({
  secret: 'runtime-test-secret-at-least-32-bytes!!',
  roleHierarchy: { admin: ['user'] },
  reuseGrace: 0, // a second presentation is reuse at once (the default allows a retry within 10 s)
})
const pair = await auth.issueTokens({ sub: 'u1', roles: ['user'] })
check('verify', (await auth.verifyAccessToken(pair.accessToken)).sub === 'u1')
const next = await auth.refresh(pair.refreshToken)
check('refresh', typeof next.accessToken === 'string')
check('reuse detected', (await codeOf(auth.refresh(pair.refreshToken))) === 'refresh_token_reused')
check('family revoked', (await codeOf(auth.verifyAccessToken(next.accessToken))) === 'token_revoked')
const other = await auth.issueTokens({ sub: 'u2', roles: ['admin'] })
await auth.revoke(other.accessToken)
check('revoke', (await codeOf(auth.verifyAccessToken(other.accessToken))) === 'token_revoked')
const third = await auth.issueTokens({ sub: 'u3', roles: ['user'] })
await auth.revokeSubject('u3')
check('revokeSubject', (await codeOf(auth.verifyAccessToken(third.accessToken))) === 'token_revoked')

const hash = await hashPassword('runtime-password', { memoryCost: 1024, timeCost: 1 })
check(
  'argon2 hash+verify',
  (await verifyPassword(hash, 'runtime-password')) && !(await verifyPassword(hash, 'nope')),
)

const app = new Hono()
app.route(
  '/',
  authRoutes(auth, {
    findUser: (name) => (name === 'ada' ? { id: 'u9', roles: ['user'], passwordHash: hash } : null),
  }),
)
app.get('/me', authenticate(auth), (c) => c.json({ sub: c.var.auth.claims.sub }))
app.get('/admin', authenticate(auth), requireRoles('admin'), (c) => c.json({ ok: true }))

let server
let url
if (typeof Bun !== 'undefined') {
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch })
  url = `http://127.0.0.1:${server.port}`
} else {
  server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, app.fetch)
  url = `http://127.0.0.1:${server.addr.port}`
}
try {
  check('http 401 without token', (await fetch(`${url}/me`)).status === 401)
  const login = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ada', password: 'runtime-password' }),
  })
  check('http login 200', login.status === 200)
  const { access_token } = await login.json()
  check(
    'http 200 with token',
    (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${access_token}` } })).status === 200,
  )
  check(
    'http 403 without role',
    (await fetch(`${url}/admin`, { headers: { authorization: `Bearer ${access_token}` } })).status === 403,
  )
} finally {
  typeof Bun !== 'undefined' ? server.stop(true) : await server.shutdown()
}
console.log(
  JSON.stringify({
    runtime: typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `deno ${Deno.version.deno}`,
    results,
  }),
)
