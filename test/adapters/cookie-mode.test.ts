// Cookie mode over real HTTP on all three frameworks: custom cookie names
// reach /auth/me and /auth/logout, the CSRF check covers every method but GET, HEAD and OPTIONS,
// the CSRF token is signed and bound to the session, the cookies are __Host-/__Secure- named, and
// the JSON body of login and refresh never carries the refresh token.
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import * as ex from '../../src/adapters/express.js'
import tokenward from '../../src/adapters/fastify.js'
import * as ho from '../../src/adapters/hono.js'
import { type Auth, type AuthRouteOptions, type CookieOptions, createAuth } from '../../src/index.js'
import {
  cookieIn,
  errorOf,
  FRAMEWORKS,
  type Framework,
  jarOf,
  json,
  SECRET,
  type Served,
  serveExpress,
  serveFastify,
  serveHono,
} from './serve.js'

const USERS: Record<string, { id: string; name: string; password: string }> = {
  ada: { id: 'u-ada', name: 'Ada', password: 'ada-password' },
  bob: { id: 'u-bob', name: 'Bob', password: 'bob-password' },
}
const routeOptions: AuthRouteOptions<{ id: string; name: string }> = {
  verifyCredentials: (username, password) =>
    USERS[username]?.password === password ? { id: USERS[username]!.id, name: USERS[username]!.name } : null,
  rateLimit: false,
}
// Safe methods, the usual unsafe ones, and WebDAV ones the old check missed.
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'REPORT', 'PROPFIND', 'LOCK']

type AnyAuth = Auth<object, unknown>

/** The auth routes, and `/api/echo` (every method) behind authenticate. */
async function cookieApp(framework: Framework, auth: AnyAuth): Promise<Served> {
  if (framework === 'express') {
    const app = express()
    app.use(ex.authRouter(auth, routeOptions))
    app.use('/api', ex.authenticate(auth))
    app.all('/api/echo', (req, res) => {
      res.json({ method: req.method, sub: req.auth?.claims.sub ?? null })
    })
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    for (const method of ['REPORT', 'PROPFIND', 'LOCK']) app.addHttpMethod(method, { hasBody: true })
    await app.register(tokenward, { auth, routes: routeOptions as AuthRouteOptions<unknown, object> })
    app.route({
      method: METHODS as never,
      url: '/api/echo',
      config: { auth: true },
      handler: async (request) => ({ method: request.method, sub: request.auth?.claims.sub ?? null }),
    })
    return serveFastify(app)
  }
  const app = new Hono()
  app.route('/', ho.authRoutes(auth, routeOptions))
  app.use('/api/*', ho.authenticate(auth))
  app.all('/api/echo', (c) =>
    c.json({
      method: c.req.method,
      sub: (c.var as { auth?: { claims: { sub: string } } }).auth?.claims.sub ?? null,
    }),
  )
  return serveHono(app)
}

const cookieAuth = (cookies: boolean | CookieOptions = true) =>
  createAuth({ secret: SECRET, cookies }) as unknown as AnyAuth

describe.each(FRAMEWORKS)('%s: cookie mode', (framework) => {
  let app: Served | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  const login = async (username = 'ada') => {
    const res = await fetch(`${app!.url}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username, password: USERS[username]!.password }),
    })
    expect(res.status).toBe(200)
    return { res, jar: jarOf(res), body: (await res.json()) as Record<string, unknown> }
  }

  it('names the cookies __Host- (access, CSRF) and __Secure- (refresh, scoped to /auth) when secure', async () => {
    app = await cookieApp(framework, cookieAuth())
    const { res } = await login()
    const set = res.headers.getSetCookie()
    const access = set.find((c) => c.startsWith('__Host-tw_access='))!
    const refresh = set.find((c) => c.startsWith('__Secure-tw_refresh='))!
    const csrf = set.find((c) => c.startsWith('__Host-tw_csrf='))!
    for (const cookie of [access, csrf]) {
      expect(cookie).toMatch(/; Path=\/(;|$)/)
      expect(cookie).toMatch(/; Secure/)
      expect(cookie).not.toMatch(/Domain=/i)
    }
    expect(refresh).toMatch(/; Path=\/auth(;|$)/)
    expect(refresh).toMatch(/; Secure/)
    expect(access).toMatch(/HttpOnly/)
    expect(refresh).toMatch(/HttpOnly/)
    expect(csrf).not.toMatch(/HttpOnly/) // the page reads it to echo it
    // Without Secure (local development over http) the names are plain: no prefix would be honoured.
    await app.close()
    app = await cookieApp(framework, cookieAuth({ secure: false }))
    expect((await login()).jar).toMatch(/^tw_access=.+; tw_refresh=.+; tw_csrf=.+$/)
  })

  it('never puts a token in the JSON body of login or refresh (they live in the HttpOnly cookies)', async () => {
    app = await cookieApp(framework, cookieAuth())
    const { jar, body } = await login()
    expect(Object.keys(body).sort()).toEqual(['csrf_token', 'expires_in', 'refresh_expires_in', 'token_type'])
    const csrf = cookieIn(jar, '__Host-tw_csrf')!
    expect(body.csrf_token).toBe(csrf)
    const refreshed = await fetch(`${app.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: jar, 'x-csrf-token': csrf },
    })
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as Record<string, unknown>
    expect(next).not.toHaveProperty('refresh_token')
    expect(next).not.toHaveProperty('access_token')
    expect(JSON.stringify(next)).not.toContain(cookieIn(jarOf(refreshed), '__Secure-tw_refresh')!)
    expect(JSON.stringify(next)).not.toContain(cookieIn(jarOf(refreshed), '__Host-tw_access')!)
    // The CSRF token belongs to the session, so it survives the rotation.
    expect(next.csrf_token).toBe(csrf)
  })

  it('wants the CSRF token on every method but GET, HEAD and OPTIONS when authenticated by cookie', async () => {
    app = await cookieApp(framework, cookieAuth())
    const { jar } = await login()
    const csrf = cookieIn(jar, '__Host-tw_csrf')!
    for (const method of METHODS) {
      const without = await fetch(`${app.url}/api/echo`, { method, headers: { cookie: jar } })
      if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
        expect(without.status, method).toBe(200)
        continue
      }
      expect(without.status, method).toBe(403)
      expect(await errorOf(without)).toBe('csrf_failed')
      const withToken = await fetch(`${app.url}/api/echo`, {
        method,
        headers: { cookie: jar, 'x-csrf-token': csrf },
      })
      expect(withToken.status, method).toBe(200)
    }
    // A Bearer request needs none: a cross-site page cannot set that header.
    const bearer = await fetch(`${app.url}/api/echo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${cookieIn(jar, '__Host-tw_access')!}` },
    })
    expect(bearer.status).toBe(200)
  })

  it('refuses a CSRF value planted from a sibling subdomain and the token of another session', async () => {
    app = await cookieApp(framework, cookieAuth())
    const ada = await login('ada')
    const bob = await login('bob')
    // Plain double-submit would accept any cookie/header pair the attacker chose.
    const planted = ada.jar.replace(/((?:__Host-)?tw_csrf)=[^;]+/, '$1=attacker')
    expect(planted).toContain('tw_csrf=attacker')
    const res = await fetch(`${app.url}/api/echo`, {
      method: 'POST',
      headers: { cookie: planted, 'x-csrf-token': 'attacker' },
    })
    expect(res.status).toBe(403)
    expect(await errorOf(res)).toBe('csrf_failed')
    const crossed = await fetch(`${app.url}/api/echo`, {
      method: 'POST',
      headers: { cookie: ada.jar, 'x-csrf-token': cookieIn(bob.jar, '__Host-tw_csrf')! },
    })
    expect(crossed.status).toBe(403)
    // …and the refresh route checks it the same way.
    const refresh = await fetch(`${app.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: ada.jar, 'x-csrf-token': cookieIn(bob.jar, '__Host-tw_csrf')! },
    })
    expect(refresh.status).toBe(403)
    expect(await errorOf(refresh)).toBe('csrf_failed')
  })

  it('accepts the CSRF token made by another instance sharing the secret', async () => {
    app = await cookieApp(framework, cookieAuth())
    const other = await cookieApp(framework, cookieAuth())
    try {
      const { jar } = await login()
      const res = await fetch(`${other.url}/api/echo`, {
        method: 'DELETE',
        headers: { cookie: jar, 'x-csrf-token': cookieIn(jar, '__Host-tw_csrf')! },
      })
      expect(res.status).toBe(200)
    } finally {
      await other.close()
    }
  })

  it('uses custom cookie names for /auth/me and /auth/logout too', async () => {
    const names = { access: 'sid', refresh: 'rid', csrf: 'xsrf' }
    app = await cookieApp(framework, cookieAuth({ names }))
    const { jar } = await login()
    expect(jar).toMatch(/^sid=.+; rid=.+; xsrf=.+$/)
    const me = await fetch(`${app.url}/auth/me`, { headers: { cookie: jar } })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ sub: 'u-ada' })
    const out = await fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie: jar, 'x-csrf-token': cookieIn(jar, 'xsrf')! },
    })
    expect(out.status).toBe(204)
    const after = await fetch(`${app.url}/auth/me`, { headers: { cookie: jar } })
    expect(after.status).toBe(401)
    expect(await errorOf(after)).toBe('token_revoked')
  })
})
