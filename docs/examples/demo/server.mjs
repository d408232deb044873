// tokenward demo: a Hono API and a small web page that show login, protected calls, automatic
// refresh, logout and "log out everywhere" — and an attack playground that replays a stolen refresh
// token, tampered, `alg: none`, expired and wrong-type tokens and a forged cross-site POST, showing
// tokenward's answer and the audit events it emitted. Run with `npm start` (it builds the package).
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

// The playground's audit log: the last EVENT_LOG_SIZE events, numbered so the page can ask for the
// ones after a number.
const EVENT_LOG_SIZE = 200

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

/** Anything shaped like a compact JWS: never shown, even if an event text carried one. */
const JWT_LIKE = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g

/**
 * An event as the page may see it. AuthEvents never carry tokens or passwords; the `error` value of
 * an `error` event could hold anything, so only its name and (scrubbed) message are kept.
 */
function shownEvent(event) {
  const out = {}
  for (const [name, value] of Object.entries(event)) {
    if (name === 'error') {
      const e = value instanceof Error ? value : new Error(String(value))
      out.error = `${e.name}: ${e.message}`.replace(JWT_LIKE, '[token]')
    } else if (typeof value === 'string') out[name] = value.replace(JWT_LIKE, '[token]')
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = value
  }
  return out
}

/** A ring buffer of the last `size` events, each with a sequence number. */
function eventLog(size) {
  const entries = []
  let last = 0
  return {
    push(event) {
      entries.push({ seq: ++last, ...shownEvent(event) })
      if (entries.length > size) entries.shift()
    },
    after: (seq) => entries.filter((e) => e.seq > seq),
    recent: (count) => entries.slice(-count),
    get last() {
      return last
    },
  }
}

/** The token claims of a demo user (login, refresh and the playground's second session). */
const claimsOf = (user) => ({ sub: user.id, roles: user.roles })

export async function createDemo() {
  const users = new Map()
  for (const account of ACCOUNTS) {
    const { password, ...user } = account
    users.set(user.username, { ...user, passwordHash: await hashPassword(password) })
  }
  const byId = (id) => [...users.values()].find((u) => u.id === id) ?? null
  const { store, label } = await makeStore()
  const events = eventLog(EVENT_LOG_SIZE)

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
    claimsFor: claimsOf,
    // The playground replays a stolen refresh token a moment after its owner used it. With the
    // default grace (10 s, at most 2 retries, for clients whose refresh answer got lost) that replay
    // would pass as a retry; the demo turns the grace off so reuse is caught at once. The page says so.
    reuseGrace: 0,
    onEvent: (event) => {
      events.push(event)
      if (process.env.DEMO_QUIET !== '1')
        console.log(`[event] ${event.type}${'sub' in event ? ` ${event.sub}` : ''}`)
    },
  })
  // The "expired token" attack needs a token that is genuinely signed and expired: an Auth with
  // the same key and issuer whose clock runs an hour behind mints one (its store is its own).
  const pastAuth = createAuth({
    secret: SECRET,
    issuer: 'tokenward-demo',
    audience: 'demo',
    accessTokenTtl: '15m',
    now: () => Date.now() - 60 * 60_000,
  })

  const page = await readFile(new URL('./index.html', import.meta.url), 'utf8')
  const app = new Hono()
  app.get('/', (c) => c.html(page))
  const findUser = (username) => users.get(username) ?? null
  app.route('/', authRoutes(auth, { findUser, claimsFor: claimsOf }))
  // The same routes for a native app (say, the user's phone), which keeps its tokens itself: no
  // cookies, both tokens in the body. The playground's "phone" refreshes here.
  app.route('/', authRoutes(auth, { findUser, claimsFor: claimsOf, prefix: '/app/auth', cookies: false }))

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
  // A state-changing route: the target of the playground's forged cross-site POST.
  api.post('/profile', async (c) => {
    const json = (c.req.header('content-type') ?? '').startsWith('application/json')
    const fields = await (json ? c.req.json() : c.req.parseBody()).catch(() => ({}))
    const name = typeof fields.name === 'string' ? fields.name.trim().slice(0, 40) : ''
    if (!name) return c.json({ error: 'invalid_request', message: 'a name is required' }, 400)
    c.var.user.name = name
    return c.json({ message: `Display name changed to ${name}.` })
  })

  // --- attack playground ---
  // The audit log. A real app shows it to administrators; the demo shows it to every signed-in
  // user so the playground can show what each attack left behind.
  api.get('/playground/events', (c) => {
    const after = Number(c.req.query('after'))
    const list = Number.isInteger(after) && after >= 0 ? events.after(after) : events.recent(20)
    return c.json({ events: list, last: events.last })
  })
  // A second session of the signed-in user ("your phone"), whose tokens the playground then plays
  // the thief with — the tokens of this tab's own session stay in HttpOnly cookies. Also a genuinely
  // signed access token of the user that expired 45 minutes ago.
  api.post('/playground/device', async (c) => {
    const claims = claimsOf(c.var.user)
    const pair = await auth.issueTokens(claims)
    const { fid } = await auth.verifyAccessToken(pair.accessToken)
    const expired = await pastAuth.issueTokens(claims)
    return c.json({
      session_id: fid,
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      expired_access_token: expired.accessToken,
    })
  })

  // --- sessions ---
  // "Signed-in devices" with "sign out this device": `auth.listSessions(sub, currentSessionId)` and
  // `auth.revokeSession(sub, sessionId)` (docs/sessions.md). A tokenward without them answers 501
  // here and the page says the list is not available. Nothing is faked.
  const haveSessions = typeof auth.listSessions === 'function' && typeof auth.revokeSession === 'function'
  const noSessions = (c) =>
    c.json({ error: 'not_implemented', message: 'this tokenward version has no auth.listSessions yet' }, 501)
  api.get('/sessions', async (c) => {
    if (!haveSessions) return noSessions(c)
    const { sub, fid } = c.var.auth.claims
    return c.json({ current: fid, sessions: await auth.listSessions(sub, fid) })
  })
  api.post('/sessions/:id/sign-out', async (c) => {
    if (!haveSessions) return noSessions(c)
    await auth.revokeSession(c.var.auth.claims.sub, c.req.param('id'))
    return c.json({ message: 'That device is signed out.' })
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
