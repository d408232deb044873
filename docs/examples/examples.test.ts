// Each seed guide's own routes, users and steps, replayed over real HTTP on 127.0.0.1 against the
// example apps (which import the BUILT package): the guide's curl commands as written, its tests,
// its pitfalls — and seed 004's browser client in Chromium.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import { type Browser, chromium } from 'playwright-core'
import { createClient } from 'redis'
import { redisStore } from 'tokenward/redis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed000 from './000-express-guards/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed001 from './001-fastify-oauth2/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed002 from './002-hono-user-middleware/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed003 from './003-express-sql/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed004 from './004-hono-scopes-tenants/app.mjs'

type Json = Record<string, unknown>
type Server = { url: string; close: () => Promise<unknown> }
const json = { 'content-type': 'application/json' }
const MINUTE = 60_000

async function listenExpress(app: { listen: (port: number, host: string) => import('node:http').Server }) {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  }
}
async function listenHono(fetchFn: (req: Request) => Response | Promise<Response>): Promise<Server> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: fetchFn, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  }
}
const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` })
const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { ...json, ...headers },
  body: JSON.stringify(body),
})
async function call(url: string, init?: RequestInit): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} }
}

/** Splits a shell command line into words: '…' and "…" quoting, backslash-newline continuations. */
function shellWords(line: string): string[] {
  const words: string[] = []
  for (const m of line.replace(/\\\n/g, ' ').matchAll(/'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g))
    words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!)
  return words
}

/**
 * Runs a curl command copied from a guide — `-X`, `-H`, `-d` as curl reads them — against `base`
 * instead of the guide's host; `<name>` placeholders are filled from `fill`.
 */
async function curl(command: string, base: string, fill: Record<string, string> = {}) {
  let line = command
  for (const [name, value] of Object.entries(fill)) line = line.replaceAll(`<${name}>`, value)
  const words = shellWords(line)
  expect(words[0]).toBe('curl')
  const headers = new Headers()
  let method: string | undefined
  let body: string | undefined
  let target: string | undefined
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!
    if (word === '-X') method = words[++i]
    else if (word === '-H') {
      const header = words[++i]!
      const colon = header.indexOf(':')
      headers.append(header.slice(0, colon).trim(), header.slice(colon + 1).trim())
    } else if (word === '-d') body = words[++i]
    else target = word
  }
  // curl -d sends a form unless told otherwise, and POSTs.
  if (body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/x-www-form-urlencoded')
  const { pathname, search } = new URL(target!)
  return call(`${base}${pathname}${search}`, { method: method ?? (body ? 'POST' : 'GET'), headers, body })
}

// --- seed 000: Nexios, on Express -----------------------------------------------------------------------

describe('seed 000 (Nexios) on Express: the guide routes and its practice exercise', () => {
  let srv: Server
  let users: Map<string, Json>
  beforeAll(async () => {
    const made = await seed000.createApp()
    users = made.users
    srv = await listenExpress(made.app)
  })
  afterAll(() => srv?.close())
  const login = (username: string, password: string) =>
    call(`${srv.url}/auth/login`, post({ username, password }))

  it('POST /auth/login, GET /protected (per-route guard), the /api group, the 401 handler', async () => {
    const missing = await call(`${srv.url}/protected`)
    expect(missing.status).toBe(401)
    expect(missing.body).toEqual({ error: 'no bearer token was presented', code: 'token_missing' })
    const bad = await login('ada', 'wrong')
    expect(bad.status).toBe(401)
    const { body: ada } = await login('ada', 'ada-password')
    expect(ada.token_type).toBe('bearer')
    // create_jwt's payload: sub, username, roles.
    expect(decodeJwt(String(ada.access_token))).toMatchObject({ sub: '1', username: 'ada', roles: ['admin'] })
    expect((await call(`${srv.url}/protected`, { headers: bearer(ada.access_token) })).body).toEqual({
      message: 'Hello, ada!',
      user_id: '1',
    })
    expect((await call(`${srv.url}/api/profile`, { headers: bearer(ada.access_token) })).body).toEqual({
      id: '1',
      username: 'ada',
      email: 'ada@example.com',
    })
    const updated = await call(`${srv.url}/api/profile`, {
      method: 'PUT',
      headers: { ...json, ...bearer(ada.access_token) },
      body: JSON.stringify({ email: 'ada@lovelace.example' }),
    })
    expect(updated.body).toEqual({
      id: '1',
      username: 'ada',
      email: 'ada@lovelace.example',
      roles: ['admin'],
    })
    expect((await call(`${srv.url}/api/profile`)).status).toBe(401)
  })

  it('exercise 2: roles with a hierarchy and permissions; the 403 handler', async () => {
    const { body: ada } = await login('ada', 'ada-password')
    const { body: bob } = await login('bob', 'bob-password')
    expect((await call(`${srv.url}/api/moderation`, { headers: bearer(ada.access_token) })).status).toBe(200)
    const denied = await call(`${srv.url}/api/moderation`, { headers: bearer(bob.access_token) })
    expect(denied).toEqual({
      status: 403,
      body: { error: 'this needs one of the roles: moderator', code: 'insufficient_role' },
    })
    const del = (token: unknown) =>
      call(`${srv.url}/api/posts/7`, { method: 'DELETE', headers: bearer(token) })
    expect(await del(ada.access_token)).toEqual({ status: 200, body: { deleted: '7' } })
    expect((await del(bob.access_token)).status).toBe(403)
  })

  it('exercise 1: register, log in, refresh (rotated), log out (blacklisted)', async () => {
    const reg = await call(
      `${srv.url}/auth/register`,
      post({ username: 'cleo', email: 'c@x.example', password: 'cleo-password' }),
    )
    expect(reg).toEqual({ status: 201, body: { id: '3', username: 'cleo', email: 'c@x.example' } })
    expect(
      (await call(`${srv.url}/auth/register`, post({ username: 'cleo', password: 'another-one' }))).status,
    ).toBe(400)
    // Exercise 3: hashing — argon2id at rest, never in an answer.
    expect(String(users.get('cleo')?.passwordHash)).toMatch(/^\$argon2id\$/)
    const { body: first } = await login('cleo', 'cleo-password')
    const refreshed = await call(`${srv.url}/auth/refresh`, post({ refresh_token: first.refresh_token }))
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.refresh_token).not.toBe(first.refresh_token)
    const me = await call(`${srv.url}/auth/me`, { headers: bearer(refreshed.body.access_token) })
    expect(me.body).toEqual({ id: '3', username: 'cleo', email: 'c@x.example', roles: ['user'] })
    const out = await fetch(`${srv.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(refreshed.body.access_token),
    })
    expect(out.status).toBe(204)
    const after = await call(`${srv.url}/protected`, { headers: bearer(refreshed.body.access_token) })
    expect(after).toMatchObject({ status: 401, body: { code: 'token_revoked' } })
    expect(
      (await call(`${srv.url}/auth/refresh`, post({ refresh_token: refreshed.body.refresh_token }))).status,
    ).toBe(401)
  })

  it('exercise 1: password reset with a single-use token ends the old sessions', async () => {
    const { body: before } = await login('bob', 'bob-password')
    const asked = await call(`${srv.url}/auth/password-reset`, post({ username: 'bob' }))
    expect(asked.status).toBe(202)
    const unknown = await call(`${srv.url}/auth/password-reset`, post({ username: 'nobody' }))
    expect(unknown).toEqual({ status: 202, body: { message: asked.body.message } })
    const confirm = () =>
      call(
        `${srv.url}/auth/password-reset/confirm`,
        post({ token: asked.body.reset_token, new_password: 'bob-new-password' }),
      )
    expect((await confirm()).status).toBe(200)
    expect(await confirm()).toMatchObject({ status: 401, body: { code: 'token_revoked' } })
    expect((await call(`${srv.url}/protected`, { headers: bearer(before.access_token) })).status).toBe(401)
    expect((await login('bob', 'bob-password')).status).toBe(401)
    expect((await login('bob', 'bob-new-password')).status).toBe(200)
  })

  it('exercise 3: rate limiting — the sixth wrong password in a row is refused with 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await login('mallory', `guess-${i}`)).status)
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
  })
})

// --- seed 001: FastAPI, on Fastify -----------------------------------------------------------------------

describe('seed 001 (FastAPI) on Fastify: the guide curl commands, as written', () => {
  // The "Testing" section of the guide, verbatim.
  const REGISTER = `curl -X POST http://localhost:8000/auth/register \\
  -H "Content-Type: application/json" \\
  -d '{"username": "john", "email": "john@example.com", "password": "secret123"}'`
  const LOGIN = `curl -X POST http://localhost:8000/auth/token \\
  -H "Content-Type: application/x-www-form-urlencoded" \\
  -d "username=john&password=secret123"`
  const PROTECTED = `curl http://localhost:8000/protected \\
  -H "Authorization: Bearer <access_token>"`
  const REFRESH = `curl -X POST http://localhost:8000/auth/refresh \\
  -H "Content-Type: application/json" \\
  -d '{"refresh_token": "<refresh_token>"}'`

  let now = Date.now()
  let app: { listen: (o: object) => Promise<string>; close: () => Promise<void> }
  let url: string
  beforeAll(async () => {
    app = await seed001.createApp({}, { now: () => now })
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app?.close())

  it('reads config.py settings from the environment, and refuses a bad number', async () => {
    expect(seed001.settingsFromEnv({})).toEqual({
      secretKey: 'your-secret-key-change-in-production',
      algorithm: 'HS256',
      accessTokenExpireMinutes: 30,
      refreshTokenExpireDays: 7,
    })
    const custom = await seed001.createApp({
      SECRET_KEY: 'k'.repeat(64),
      ALGORITHM: 'HS512',
      ACCESS_TOKEN_EXPIRE_MINUTES: '5',
    })
    await custom.close()
    await expect(seed001.createApp({ ACCESS_TOKEN_EXPIRE_MINUTES: 'soon' })).rejects.toThrow(/accessTokenTtl/)
  })

  it('register → login (form) → protected route → refresh', async () => {
    expect(await curl(REGISTER, url)).toEqual({
      status: 201,
      body: { id: 1, username: 'john', email: 'john@example.com' },
    })
    const login = await curl(LOGIN, url)
    expect(login.status).toBe(200)
    expect(login.body).toMatchObject({ token_type: 'bearer', expires_in: 30 * 60 })
    const tokens = {
      access_token: String(login.body.access_token),
      refresh_token: String(login.body.refresh_token),
    }
    expect(decodeJwt(tokens.access_token).sub).toBe('john')
    expect(await curl(PROTECTED, url, tokens)).toEqual({
      status: 200,
      body: { message: 'This is protected content', user: 'john' },
    })
    const refreshed = await curl(REFRESH, url, tokens)
    expect(refreshed.status).toBe(200)
    expect(refreshed.body).toMatchObject({ token_type: 'bearer' })
    const renewed = { access_token: String(refreshed.body.access_token), refresh_token: '' }
    expect((await curl(PROTECTED, url, renewed)).status).toBe(200)
  })

  it('GET /, GET /auth/me, GET /items/, a taken username, a wrong password', async () => {
    expect(await call(`${url}/`)).toEqual({ status: 200, body: { message: 'Welcome to the API' } })
    expect((await curl(REGISTER, url)).status).toBe(400)
    const wrong = await curl(LOGIN.replace('secret123', 'secret124'), url)
    expect(wrong.status).not.toBe(200)
    const { body } = await curl(LOGIN, url)
    expect(await call(`${url}/auth/me`, { headers: bearer(body.access_token) })).toEqual({
      status: 200,
      body: { id: 1, username: 'john', email: 'john@example.com' },
    })
    expect(await call(`${url}/items/`, { headers: bearer(body.access_token) })).toEqual({
      status: 200,
      body: { items: [], user: 'john' },
    })
    expect((await call(`${url}/items/`)).status).toBe(401)
  })

  it('common issues: an invalid token, a refresh token as access token (and back), an expired token', async () => {
    const { body } = await curl(LOGIN, url)
    expect((await call(`${url}/protected`, { headers: bearer('not-a-jwt') })).status).toBe(401)
    const wrongType = await call(`${url}/protected`, { headers: bearer(body.refresh_token) })
    expect(wrongType).toMatchObject({ status: 401, body: { error: 'token_wrong_type' } })
    const backwards = await call(`${url}/auth/refresh`, post({ refresh_token: body.access_token }))
    expect(backwards).toMatchObject({ status: 401, body: { error: 'token_wrong_type' } })
    now += 31 * MINUTE
    try {
      const expired = await call(`${url}/protected`, { headers: bearer(body.access_token) })
      expect(expired).toMatchObject({ status: 401, body: { error: 'token_expired' } })
    } finally {
      now -= 31 * MINUTE
    }
  })

  it('POST /auth/logout: "Successfully logged out", and the token is revoked', async () => {
    const { body } = await curl(LOGIN, url)
    const out = await call(`${url}/auth/logout`, { method: 'POST', headers: bearer(body.access_token) })
    expect(out).toEqual({ status: 200, body: { message: 'Successfully logged out' } })
    expect(await call(`${url}/protected`, { headers: bearer(body.access_token) })).toMatchObject({
      status: 401,
      body: { error: 'token_revoked' },
    })
    // The whole session ends: its refresh token too.
    expect((await call(`${url}/auth/refresh`, post({ refresh_token: body.refresh_token }))).status).toBe(401)
  })

  const redisUrl = inject('redisUrl')
  it.skipIf(!redisUrl)(
    'Redis blacklist (production): a logout on one instance holds on another',
    async () => {
      const client = createClient({ url: redisUrl! })
      await client.connect()
      // Two instances of the app, one Redis: the same key prefix, as two servers of one service.
      const prefix = `seed001:${Date.now()}:`
      const stores = [0, 1].map(() => redisStore({ client, prefix, onWarning: () => {} }))
      const [a, b] = await Promise.all(stores.map((store) => seed001.createApp({}, { store })))
      try {
        const [urlA, urlB] = await Promise.all([a, b].map((x) => x.listen({ port: 0, host: '127.0.0.1' })))
        await curl(REGISTER, urlA)
        await curl(REGISTER, urlB)
        const { body } = await curl(LOGIN, urlA)
        expect((await call(`${urlB}/protected`, { headers: bearer(body.access_token) })).status).toBe(200)
        expect(
          (await call(`${urlA}/auth/logout`, { method: 'POST', headers: bearer(body.access_token) })).status,
        ).toBe(200)
        expect(await call(`${urlB}/protected`, { headers: bearer(body.access_token) })).toMatchObject({
          status: 401,
          body: { error: 'token_revoked' },
        })
      } finally {
        await Promise.all([a.close(), b.close()])
        await client.quit()
      }
    },
  )
})

// --- seed 002: Ravyn, on Hono ----------------------------------------------------------------------------

describe('seed 002 (Ravyn) on Hono: JWTAuthMiddleware with a user class, protect all or a group', () => {
  let now = Date.now()
  let jwt: { auth: unknown; middleware: unknown }
  beforeAll(async () => {
    await seed002.seedUsers()
    jwt = seed002.jwtAuthMiddleware({ config: seed002.jwtConfig({}), user: seed002.User, now: () => now })
  })
  const login = (url: string, email: string, password: string) =>
    call(`${url}/auth/login`, post({ username: email, password }))

  it('pitfall 2: passing a user instance instead of the class fails at start-up', async () => {
    const instance = await seed002.User.query.get({ email: 'ada@example.com' })
    expect(() => seed002.jwtAuthMiddleware({ config: seed002.jwtConfig({}), user: instance })).toThrow(
      /User document class/,
    )
  })

  it('automatic protection: log in → token in Authorization → request.user; pitfall 1 without it', async () => {
    const srv = await listenHono(seed002.protectAll(jwt).fetch)
    try {
      const { status, body } = await login(srv.url, 'ada@example.com', 'ada-password')
      expect(status).toBe(200)
      expect(body.expires_in).toBe(900)
      // Pitfall 1, the guide's two fetch() calls: without the header, then with it.
      expect((await call(`${srv.url}/api/profile`, { method: 'GET' })).status).toBe(401)
      expect(
        await call(`${srv.url}/api/profile`, {
          method: 'GET',
          headers: { Authorization: `Bearer ${body.access_token}` },
        }),
      ).toEqual({ status: 200, body: { email: 'ada@example.com', name: 'Ada' } })
      expect((await call(`${srv.url}/profile`, { headers: bearer(body.access_token) })).body).toEqual({
        email: 'ada@example.com',
        name: 'Ada',
      })
    } finally {
      await srv.close()
    }
  })

  it('selective protection: GET / is public, the included GET /dashboard needs a token', async () => {
    const srv = await listenHono(seed002.protectGroup(jwt).fetch)
    try {
      expect(await call(`${srv.url}/`)).toEqual({ status: 200, body: { message: 'Welcome' } })
      expect((await call(`${srv.url}/dashboard`)).status).toBe(401)
      const { body } = await login(srv.url, 'ada@example.com', 'ada-password')
      expect(await call(`${srv.url}/dashboard`, { headers: bearer(body.access_token) })).toEqual({
        status: 200,
        body: { user: 'ada@example.com' },
      })
    } finally {
      await srv.close()
    }
  })

  it('pitfall 3: an expired token is a 401; the refresh endpoint gives a new one', async () => {
    const srv = await listenHono(seed002.protectGroup(jwt).fetch)
    try {
      const { body } = await login(srv.url, 'ada@example.com', 'ada-password')
      now += 16 * MINUTE
      expect(await call(`${srv.url}/dashboard`, { headers: bearer(body.access_token) })).toMatchObject({
        status: 401,
        body: { error: 'token_expired' },
      })
      const renewed = await call(`${srv.url}/auth/refresh`, post({ refresh_token: body.refresh_token }))
      expect(renewed.status).toBe(200)
      expect(
        (await call(`${srv.url}/dashboard`, { headers: bearer(renewed.body.access_token) })).status,
      ).toBe(200)
    } finally {
      await srv.close()
    }
  })

  it('a user who is no longer active is refused (request.user cannot be loaded)', async () => {
    const srv = await listenHono(seed002.protectGroup(jwt).fetch)
    try {
      const { body } = await login(srv.url, 'ivan@example.com', 'ivan-password')
      expect((await call(`${srv.url}/dashboard`, { headers: bearer(body.access_token) })).status).toBe(200)
      const ivan = await seed002.User.query.get({ email: 'ivan@example.com' })
      ivan.is_active = false
      expect(await call(`${srv.url}/dashboard`, { headers: bearer(body.access_token) })).toMatchObject({
        status: 401,
        body: { error: 'user_not_found' },
      })
      expect((await login(srv.url, 'ivan@example.com', 'ivan-password')).status).toBe(401)
    } finally {
      await srv.close()
    }
  })
})

// --- seed 003: FastAPI + SQLAlchemy, on Express with PGlite -----------------------------------------------

describe('seed 003 (FastAPI + SQL) on Express with PGlite: POST /login by e-mail, then a post with the token', () => {
  let db: { query: (sql: string, params?: unknown[]) => Promise<unknown>; close: () => Promise<void> }
  let srv: Server
  beforeAll(async () => {
    db = await seed003.createDatabase()
    srv = await listenExpress(await seed003.createApp(db))
  })
  afterAll(async () => {
    await srv?.close()
    await db?.close()
  })
  const login = (email: string, password: string) => call(`${srv.url}/login`, post({ email, password }))

  it('GET / says "Welcome Family"', async () => {
    expect(await call(`${srv.url}/`)).toEqual({ status: 200, body: 'Welcome Family' as unknown as Json })
  })

  it('(1)–(4): log in with e-mail and password, ask for a post with the token, get it', async () => {
    expect((await login('ada@example.com', 'nope')).status).toBe(401)
    expect((await login('nobody@example.com', 'ada-password')).status).toBe(401)
    const { status, body } = await login('ADA@example.com', 'ada-password')
    expect(status).toBe(200)
    expect((await call(`${srv.url}/posts/1`)).status).toBe(401)
    expect(await call(`${srv.url}/posts/1`, { headers: bearer(body.access_token) })).toEqual({
      status: 200,
      body: {
        id: 1,
        title: 'Notes on the Analytical Engine',
        content: 'It might act upon other things besides number.',
        owner_id: 1,
      },
    })
    expect((await call(`${srv.url}/posts/99`, { headers: bearer(body.access_token) })).status).toBe(404)
  })

  it('the token anatomy: HS256 header, a light payload, and a changed payload is blocked', async () => {
    const { body } = await login('alan@example.com', 'alan-password')
    const token = String(body.access_token)
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256' })
    const payload = decodeJwt(token)
    expect(payload.sub).toBe('2')
    expect(Object.keys(payload)).not.toContain('email')
    // Anyone can read the payload, but changing it breaks the signature.
    const [header, , signature] = token.split('.')
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...payload, sub: '1' })).toString('base64url')}.${signature}`
    expect(await call(`${srv.url}/posts/1`, { headers: bearer(forged) })).toMatchObject({
      status: 401,
      body: { error: 'token_invalid' },
    })
  })

  it('POST /users stores a hash (utils.hash), GET /users/:id never shows it, the new user logs in', async () => {
    const created = await call(
      `${srv.url}/users`,
      post({ email: 'grace@example.com', password: 'grace-password' }),
    )
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ id: 3, email: 'grace@example.com' })
    expect(Object.keys(created.body)).not.toContain('password')
    const shown = await call(`${srv.url}/users/3`)
    expect(Object.keys(shown.body).sort()).toEqual(['created_at', 'email', 'id'])
    const stored = (await db.query('select password from users where id = 3')) as {
      rows: { password: string }[]
    }
    expect(stored.rows[0]!.password).toMatch(/^\$argon2id\$/)
    expect((await login('grace@example.com', 'grace-password')).status).toBe(200)
    const again = await call(`${srv.url}/users`, post({ email: 'Grace@example.com', password: 'x' }))
    expect(again).toMatchObject({ status: 409, body: { error: 'email_taken' } })
  })

  it('a deactivated user can neither use a token nor log in', async () => {
    const { body } = await login('alan@example.com', 'alan-password')
    await db.query('update users set is_active = false where id = 2')
    expect(await call(`${srv.url}/posts/2`, { headers: bearer(body.access_token) })).toMatchObject({
      status: 401,
      body: { error: 'user_not_found' },
    })
    expect((await login('alan@example.com', 'alan-password')).status).toBe(401)
  })
})

// --- seed 004: Velithon, on Hono -----------------------------------------------------------------------

describe('seed 004 (Velithon) on Hono: its users, routes, claims, scopes and its test list', () => {
  const SECRET = 'seed-004-secret-at-least-32-bytes-long!!'
  let now = Date.now()
  let srv: Server
  let users: Map<string, Json>
  beforeAll(async () => {
    const made = await seed004.createApp({ now: () => now })
    users = made.users
    srv = await listenHono(made.app.fetch)
  })
  afterAll(() => srv?.close())
  const login = (username: string, password: string) =>
    call(`${srv.url}/auth/login`, post({ username, password }))

  it('test_jwt_login: tokens, bearer, expires_in 1800 and the user; bcrypt hashes move to argon2id', async () => {
    expect(String(users.get('user1')?.password_hash)).toMatch(/^\$2[aby]\$/)
    const { status, body } = await login('john_doe', 'password123')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      token_type: 'bearer',
      expires_in: 1800,
      user: { id: 'user1', username: 'john_doe', email: 'john@example.com', roles: ['user'] },
    })
    expect(typeof body.access_token).toBe('string')
    expect(typeof body.refresh_token).toBe('string')
    expect(String(users.get('user1')?.password_hash)).toMatch(/^\$argon2id\$/)
    expect((await login('john_doe', 'password123')).status).toBe(200)
    expect(await login('john_doe', '')).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
    expect((await login('john_doe', 'wrong')).status).toBe(401)
  })

  it('test_jwt_protected_endpoint, GET /auth/me, and the claims: type, iat, tenant and session ids, scopes', async () => {
    const { body } = await login('john_doe', 'password123')
    const res = await call(`${srv.url}/protected`, { headers: bearer(body.access_token) })
    expect(res.status).toBe(200)
    expect(String(res.body.message)).toContain('Hello john_doe')
    expect(res.body).toMatchObject({ user_id: 'user1', roles: ['user'], tenant_id: 'acme' })
    const claims = decodeJwt(String(body.access_token))
    expect(claims).toMatchObject({
      sub: 'user1',
      username: 'john_doe',
      scope: 'users:read',
      tenant_id: 'acme',
    })
    expect(typeof claims.iat).toBe('number')
    expect(res.body.session_id).toBe(claims.fid)
    expect(await call(`${srv.url}/auth/me`, { headers: bearer(body.access_token) })).toEqual({
      status: 200,
      body: {
        id: 'user1',
        username: 'john_doe',
        email: 'john@example.com',
        roles: ['user'],
        is_active: true,
      },
    })
  })

  it('test_jwt_token_refresh: a new access token, the same refresh token, the same session', async () => {
    const { body } = await login('john_doe', 'password123')
    const refreshed = await call(`${srv.url}/auth/refresh`, post({ refresh_token: body.refresh_token }))
    expect(refreshed.status).toBe(200)
    expect(refreshed.body).toMatchObject({
      token_type: 'bearer',
      expires_in: 1800,
      refresh_token: body.refresh_token,
    })
    expect(decodeJwt(String(refreshed.body.access_token)).fid).toBe(decodeJwt(String(body.access_token)).fid)
    // The guide's client presents that refresh token again and again: without rotation that works.
    const again = await call(`${srv.url}/auth/refresh`, post({ refresh_token: body.refresh_token }))
    expect(again.status).toBe(200)
    expect(await call(`${srv.url}/auth/refresh`, post({}))).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    })
  })

  it('test_jwt_expired_token (the guide’s hand-made token, and one of ours 31 minutes on)', async () => {
    const handMade = await new SignJWT({ sub: 'test_user', username: 'test' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(SECRET))
    expect((await call(`${srv.url}/protected`, { headers: bearer(handMade) })).status).toBe(401)
    const { body } = await login('john_doe', 'password123')
    now += 31 * MINUTE
    try {
      expect(await call(`${srv.url}/protected`, { headers: bearer(body.access_token) })).toMatchObject({
        status: 401,
        body: { error: 'token_expired' },
      })
    } finally {
      now -= 31 * MINUTE
    }
  })

  it('test_jwt_invalid_token', async () => {
    expect(
      (await call(`${srv.url}/protected`, { headers: { Authorization: 'Bearer invalid.token.here' } }))
        .status,
    ).toBe(401)
  })

  it('test_jwt_role_based_access: admin 200, john_doe 403 on /admin-only; no token 401', async () => {
    const admin = await login('admin', 'admin123')
    expect(await call(`${srv.url}/admin-only`, { headers: bearer(admin.body.access_token) })).toEqual({
      status: 200,
      body: { message: 'Admin access granted for admin', admin_data: 'Sensitive admin information' },
    })
    const user = await login('john_doe', 'password123')
    expect((await call(`${srv.url}/admin-only`, { headers: bearer(user.body.access_token) })).status).toBe(
      403,
    )
    expect((await call(`${srv.url}/admin-only`)).status).toBe(401)
  })

  it('scopes: users:read for both, users:write for the admin only (403 insufficient_scope)', async () => {
    const admin = await login('admin', 'admin123')
    const user = await login('john_doe', 'password123')
    expect(await call(`${srv.url}/api/users/read`, { headers: bearer(user.body.access_token) })).toEqual({
      status: 200,
      body: { users: ['user1', 'admin1'] },
    })
    const write = (token: unknown) =>
      call(`${srv.url}/api/users/write`, post({ username: 'grace' }, bearer(token)))
    expect(await write(admin.body.access_token)).toEqual({
      status: 200,
      body: { message: 'User created', user: { username: 'grace' } },
    })
    const denied = await fetch(
      `${srv.url}/api/users/write`,
      post({ username: 'grace' }, bearer(user.body.access_token)),
    )
    expect(denied.status).toBe(403)
    expect(denied.headers.get('www-authenticate')).toContain('scope="users:write"')
    expect((await call(`${srv.url}/api/users/read`)).status).toBe(401)
  })

  it('POST /auth/logout: "Successfully logged out"; the access and the refresh token are revoked', async () => {
    const { body } = await login('admin', 'admin123')
    const out = await call(`${srv.url}/auth/logout`, { method: 'POST', headers: bearer(body.access_token) })
    expect(out).toEqual({ status: 200, body: { message: 'Successfully logged out' } })
    expect(await call(`${srv.url}/auth/me`, { headers: bearer(body.access_token) })).toMatchObject({
      status: 401,
      body: { error: 'token_revoked' },
    })
    expect((await call(`${srv.url}/auth/refresh`, post({ refresh_token: body.refresh_token }))).status).toBe(
      401,
    )
    expect((await call(`${srv.url}/auth/logout`, { method: 'POST' })).status).toBe(401)
  })

  it('is_active: a deactivated user cannot log in, and his tokens stop working', async () => {
    const { body } = await login('john_doe', 'password123')
    const john = users.get('user1')!
    john.is_active = false
    try {
      expect((await login('john_doe', 'password123')).status).toBe(401)
      expect(await call(`${srv.url}/protected`, { headers: bearer(body.access_token) })).toMatchObject({
        status: 401,
        body: { error: 'user_not_found' },
      })
    } finally {
      john.is_active = true
    }
  })
})

// --- seed 004's browser client, in Chromium ---------------------------------------------------------------

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI)
  throw new Error(`the seed 004 browser test needs Chromium at ${CHROMIUM} (.ci/run installs it with apt)`)
const RESULTS = join(import.meta.dirname, '..', '..', 'test-results')

describe.skipIf(!haveChromium)('seed 004 browser client (GET /secure-client) in Chromium', () => {
  let now = Date.now()
  let srv: Server
  let browser: Browser
  beforeAll(async () => {
    const { app } = await seed004.createApp({ now: () => now })
    srv = await listenHono(app.fetch)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    mkdirSync(RESULTS, { recursive: true })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await srv?.close()
  })

  it('a wrong password: the guide’s alert', async () => {
    const page = await browser.newPage()
    await page.goto(`${srv.url}/secure-client`)
    const alerted = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message())
        void dialog.dismiss()
      }),
    )
    await page.fill('#username', 'john_doe')
    await page.fill('#password', 'not-his-password')
    await page.click('#loginForm button[type=submit]')
    expect(await alerted).toBe('Login failed: invalid_credentials')
    await page.close()
  })

  it('logs in, shows the user, refreshes every 25 minutes with its first refresh token, logs out', async () => {
    const page = await browser.newPage()
    // The page's setInterval runs on a fake clock; the server's clock moves with it.
    await page.clock.install()
    await page.goto(`${srv.url}/secure-client`)
    await page.fill('#username', 'john_doe')
    await page.fill('#password', 'password123')
    await page.click('#loginForm button[type=submit]')
    await expect.poll(() => page.isVisible('#user-info')).toBe(true)
    expect(await page.textContent('#userDetails')).toBe(
      'Username: john_doeEmail: john@example.comRoles: user',
    )
    await page.screenshot({ path: join(RESULTS, 'seed-004-secure-client.png') })
    const stored = () =>
      page.evaluate(() => ({
        access: sessionStorage.getItem('access_token'),
        refresh: sessionStorage.getItem('refresh_token'),
      }))
    const first = await stored()
    const me = (token: string | null) => call(`${srv.url}/auth/me`, { headers: bearer(token) })

    // 25 minutes: the first refresh.
    now += 25 * MINUTE
    await page.clock.runFor(25 * MINUTE)
    await expect.poll(async () => (await stored()).access).not.toBe(first.access)
    const second = await stored()
    expect(second.refresh).toBe(first.refresh)
    // 50 minutes: the login's access token has expired, the refreshed one has not...
    now += 25 * MINUTE
    expect((await me(first.access)).body.error).toBe('token_expired')
    expect((await me(second.access)).status).toBe(200)
    // ...and the second refresh presents the same refresh token again: still accepted.
    await page.clock.runFor(25 * MINUTE)
    await expect.poll(async () => (await stored()).access).not.toBe(second.access)
    expect(await page.isVisible('#user-info')).toBe(true)
    const third = await stored()

    await page.click('#user-info button')
    await expect.poll(() => page.isVisible('#auth-form')).toBe(true)
    expect(await stored()).toEqual({ access: null, refresh: null })
    expect((await me(third.access)).body.error).toBe('token_revoked')
    const refresh = await call(`${srv.url}/auth/refresh`, post({ refresh_token: third.refresh }))
    expect(refresh).toMatchObject({ status: 401, body: { error: 'token_revoked' } })
    await page.close()
  }, 30_000)
})

// --- every example on its own ------------------------------------------------------------------------------

describe('run on their own, the examples listen on $PORT and print their URL', () => {
  const freePort = () =>
    new Promise<number>((resolve, reject) => {
      const probe = createServer()
      probe.once('error', reject)
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
  const waitForOutput = (child: ChildProcess, pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      let output = ''
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in 15 s:\n${output}`)), 15_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (pattern.test(output)) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`exited with ${code}:\n${output}`))
      })
    })

  it.each([
    ['000-express-guards/app.mjs', '/protected'],
    ['001-fastify-oauth2/app.mjs', '/protected'],
    ['002-hono-user-middleware/app.mjs', '/dashboard'],
    ['003-express-sql/app.mjs', '/posts/1'],
    ['004-hono-scopes-tenants/app.mjs', '/protected'],
    ['demo/server.mjs', '/api/user'],
  ])('node docs/examples/%s', async (file, protectedPath) => {
    const port = await freePort()
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEMO_QUIET: '1' }
    delete env.REDIS_URL // the demo and seed 001 would use it
    const child = spawn(process.execPath, [join(import.meta.dirname, file)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = once(child, 'exit')
    try {
      await waitForOutput(child, new RegExp(`on http://127\\.0\\.0\\.1:${port}\\b`))
      expect((await fetch(`http://127.0.0.1:${port}${protectedPath}`)).status).toBe(401)
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  })
})
