// The server side of the runtime flow, shared by Bun, Deno, Node 26 and workerd (test/runtimes/
// worker.mjs): the same app as the adapter tests (test/adapters/apps.ts) — auth routes, /public,
// /api/* protected as a group, /admin (role admin), /scoped (scope users:write) — once on Hono and
// once with tokenward/fetch alone, for each kind of Auth (HS256, ES256, EdDSA, cookie mode, DPoP).
// Every app is served under its own prefix: /hono/es256/auth/login, /fetch/dpop/api/me …
import { Hono } from 'hono'
import { createAuth } from 'tokenward'
import { authenticateRequest, authHandler } from 'tokenward/fetch'
import { authenticate, authRoutes, requireRoles, requireScopes } from 'tokenward/hono'

export const SECRET = 'runtime-test-secret-at-least-32-bytes!!'

const USERS = {
  ada: {
    id: 'u-ada',
    name: 'Ada',
    roles: ['admin'],
    scope: 'users:read users:write',
    password: 'ada-password',
  },
  bob: { id: 'u-bob', name: 'Bob', roles: ['user'], scope: 'users:read', password: 'bob-password' },
}
const userById = (id) => Object.values(USERS).find((u) => u.id === id) ?? null

// No argon2 on an edge runtime: the app checks credentials itself (docs/runtimes.md).
const routeOptions = {
  verifyCredentials: (username, password) =>
    USERS[username]?.password === password ? USERS[username] : null,
  toPublicUser: ({ password, ...user }) => user,
  rateLimit: { maxPerUsername: 3, window: '1m' },
}

/**
 * The Auth of each kind. `keys` are private JWKs (`{ es256, eddsa }`) made by the caller: a Worker
 * may not make random values at its top level, where these are created (as docs/hono.md does).
 */
export function makeAuths(keys) {
  const common = {
    roleHierarchy: { admin: ['editor'], editor: ['user'] },
    resolveUser: (claims) => userById(claims.sub),
    reuseGrace: 0, // a spent refresh token coming back is reuse at once (default: a 10 s retry window)
  }
  return {
    hs256: createAuth({ ...common, secret: SECRET }),
    es256: createAuth({ ...common, keys: [keys.es256] }),
    eddsa: createAuth({ ...common, keys: [keys.eddsa] }),
    cookie: createAuth({ ...common, secret: SECRET, cookies: true }),
    dpop: createAuth({ ...common, keys: [keys.es256], dpop: true }),
  }
}

/** The app on Hono, served under `base` (`/hono/es256`). */
export function honoApp(base, auth) {
  const app = new Hono().basePath(base)
  app.route('/', authRoutes(auth, routeOptions))
  app.get('/public', (c) => c.json({ ok: true }))
  app.use('/api/*', authenticate(auth))
  app.get('/api/me', (c) => c.json({ sub: c.var.auth.claims.sub, name: c.var.user.name }))
  app.post('/api/echo', (c) => c.json({ ok: true }))
  app.get('/admin', authenticate(auth), requireRoles('admin'), (c) => c.json({ admin: true }))
  app.get('/scoped', authenticate(auth), requireScopes('users:write'), (c) => c.json({ scoped: true }))
  return (request) => app.fetch(request)
}

/** The same app with tokenward/fetch and no framework, served under `base` (`/fetch/es256`). */
export function fetchApp(base, auth) {
  const handle = authHandler(auth, { ...routeOptions, prefix: `${base}/auth` })
  const requirements = {
    '/api/me': {},
    '/api/echo': {},
    '/admin': { roles: ['admin'] },
    '/scoped': { scopes: ['users:write'] },
  }
  return async (request) => {
    const answer = await handle(request)
    if (answer) return answer
    const path = new URL(request.url).pathname.slice(base.length)
    if (path === '/public') return Response.json({ ok: true })
    const requirement = requirements[path]
    if (!requirement) return new Response('not found', { status: 404 })
    const result = await authenticateRequest(auth, request, requirement)
    if (result instanceof Response) return result
    if (path === '/api/me') return Response.json({ sub: result.claims.sub, name: result.user.name })
    if (path === '/admin') return Response.json({ admin: true })
    if (path === '/scoped') return Response.json({ scoped: true })
    return Response.json({ ok: true })
  }
}

/**
 * One fetch function serving every app: `/hono/<kind>/…` and `/fetch/<kind>/…`, each with its own
 * Auth (so one app's login attempts do not count against the other's), plus `/core/<kind>`, which
 * runs the core flow inside the runtime and answers its results and the public JWK Set.
 */
export function runtimeApp(keys) {
  const apps = new Map()
  for (const [kind, make] of [
    ['hono', honoApp],
    ['fetch', fetchApp],
  ])
    for (const [name, auth] of Object.entries(makeAuths(keys)))
      apps.set(`/${kind}/${name}`, make(`/${kind}/${name}`, auth))
  const coreAuths = makeAuths(keys)
  return async (request) => {
    const path = new URL(request.url).pathname
    const core = /^\/core\/(\w+)$/.exec(path)
    if (core && coreAuths[core[1]]) return Response.json(await coreFlow(coreAuths[core[1]]))
    const base = /^\/\w+\/\w+/.exec(path)?.[0]
    const app = base && apps.get(base)
    return app ? app(request) : new Response('not found', { status: 404 })
  }
}

/** issue → verify → refresh → reuse detection → revoke → revokeSubject, in the runtime itself. */
export async function coreFlow(auth) {
  const results = []
  const check = (name, ok) => results.push({ name, ok: Boolean(ok) })
  const codeOf = (p) =>
    p.then(
      () => 'ok',
      (e) => e.code ?? String(e),
    )
  const pair = await auth.issueTokens({ sub: 'u-bob', roles: ['user'] })
  check('verify', (await auth.verifyAccessToken(pair.accessToken)).sub === 'u-bob')
  const next = await auth.refresh(pair.refreshToken)
  check('refresh', typeof next.accessToken === 'string' && next.refreshToken !== pair.refreshToken)
  check('reuse detected', (await codeOf(auth.refresh(pair.refreshToken))) === 'refresh_token_reused')
  check('family revoked', (await codeOf(auth.verifyAccessToken(next.accessToken))) === 'token_revoked')
  const other = await auth.issueTokens({ sub: 'u-ada', roles: ['admin'] })
  await auth.revoke(other.accessToken)
  check('revoke', (await codeOf(auth.verifyAccessToken(other.accessToken))) === 'token_revoked')
  const third = await auth.issueTokens({ sub: 'u-third', roles: ['user'] })
  await auth.revokeSubject('u-third')
  check('revokeSubject', (await codeOf(auth.verifyAccessToken(third.accessToken))) === 'token_revoked')
  const last = await auth.issueTokens({ sub: 'u-ada', roles: ['admin'] })
  // Which signature backend the core can pick here: node:crypto through process.getBuiltinModule, or Web Crypto.
  const nodeCrypto = typeof globalThis.process?.getBuiltinModule === 'function'
  return { results, jwks: await auth.jwks(), token: last.accessToken, nodeCrypto }
}
