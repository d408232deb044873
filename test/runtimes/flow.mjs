// Runs on Bun, Deno and Node (26; the suite covers 20, 22 and 24) against the BUILT package: the
// core flow, argon2 hashing behind a Hono login, and the HTTP flow of http-flow.mjs on the Hono and
// tokenward/fetch apps of apps.mjs (HS256, ES256, EdDSA, cookie mode, DPoP), served by the
// runtime's own server (Bun.serve, Deno.serve, node:http). Prints one JSON line of results; exits
// non-zero on the first failure.

import { Hono } from 'hono'
import { exportJWK, generateKeyPair } from 'jose'
import { createAuth } from 'tokenward'
import { authenticate, authRoutes, requireRoles } from 'tokenward/hono'
import { hashPassword, verifyPassword } from 'tokenward/password'
import { coreFlow, runtimeApp } from './apps.mjs'
import { runtimeFlow } from './http-flow.mjs'

const runtime =
  typeof Bun !== 'undefined'
    ? `bun ${Bun.version}`
    : typeof Deno !== 'undefined'
      ? `deno ${Deno.version.deno}`
      : `node ${process.versions.node}`

const results = []
const check = (name, ok) => {
  results.push({ name, ok: Boolean(ok) })
  if (!ok) throw new Error(`failed: ${name}`)
}

/** Serves a fetch function on 127.0.0.1, a free port, with the runtime's own server. */
async function serve(fetch) {
  if (typeof Bun !== 'undefined') {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch })
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) }
  }
  if (typeof Deno !== 'undefined') {
    const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, fetch)
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() }
  }
  const { serve: nodeServe } = await import('@hono/node-server')
  const server = await new Promise((resolve) => {
    const s = nodeServe({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

// The core, in this runtime.
const auth = createAuth({
  secret: 'runtime-test-secret-at-least-32-bytes!!',
  roleHierarchy: { admin: ['user'] },
  reuseGrace: 0, // a second presentation is reuse at once (the default allows a retry within 10 s)
})
for (const r of (await coreFlow(auth)).results) check(`core: ${r.name}`, r.ok)

// argon2 (N-API), and the auth routes loading tokenward/password by themselves on the first login.
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
    passwordOptions: { memoryCost: 1024, timeCost: 1 },
  }),
)
app.get('/me', authenticate(auth), (c) => c.json({ sub: c.var.auth.claims.sub }))
app.get('/admin', authenticate(auth), requireRoles('admin'), (c) => c.json({ ok: true }))
const passwords = await serve(app.fetch)
try {
  const login = await fetch(`${passwords.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ada', password: 'runtime-password' }),
  })
  check('argon2 login through the auth routes (findUser)', login.status === 200)
  const { access_token } = await login.json()
  const headers = { authorization: `Bearer ${access_token}` }
  check('http 200 with token', (await fetch(`${passwords.url}/me`, { headers })).status === 200)
  check('http 403 without role', (await fetch(`${passwords.url}/admin`, { headers })).status === 403)
} finally {
  await passwords.close()
}

// The HTTP flow on Hono and on tokenward/fetch, each Auth kind.
const privateJwk = async (alg) => {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  return { ...(await exportJWK(privateKey)), alg, kid: `${alg.toLowerCase()}-runtime` }
}
const server = await serve(runtimeApp({ es256: await privateJwk('ES256'), eddsa: await privateJwk('EdDSA') }))
try {
  results.push(...(await runtimeFlow(server.url)))
} finally {
  await server.close()
}
console.log(JSON.stringify({ runtime, results }))
