import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TokenStore } from '../../src/index.js'
import { makeAuth, type RunningApp, startApp } from './apps.js'

// tokenward/fetch joins as a fourth: the same app as a plain fetch function (apps.ts), the same answers.
const FRAMEWORKS = ['express', 'fastify', 'hono', 'fetch'] as const
const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

describe.each(FRAMEWORKS)('%s adapter over real HTTP', (framework) => {
  let clock = Date.now()
  const auth = makeAuth({ now: () => clock })
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp(framework, auth)
  })
  afterAll(async () => app.close())

  const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(app.url + path, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })
  const post = (path: string, body: string, headers: Record<string, string> = json) =>
    fetch(app.url + path, { method: 'POST', headers, body })
  const login = async (username = 'ada', password = 'ada-password') => {
    const res = await post('/auth/login', JSON.stringify({ username, password }))
    expect(res.status).toBe(200)
    return (await res.json()) as { access_token: string; refresh_token: string }
  }
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error

  it('answers 401 token_missing with a bare Bearer challenge', async () => {
    const res = await get('/api/me')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tokenward"')
    expect(await res.json()).toEqual({ error: 'token_missing', message: 'no bearer token was presented' })
  })

  it('leaves unprotected routes alone and protects only the group', async () => {
    expect((await get('/public')).status).toBe(200)
    expect((await get('/api/me')).status).toBe(401)
  })

  it('rejects a garbage token (token_malformed) with error="invalid_token"', async () => {
    const res = await get('/api/me', 'garbage')
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('token_malformed')
    expect(res.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="tokenward", error="invalid_token", error_description="/,
    )
  })

  it('accepts a valid token, sets the user, and accepts lower-case bearer', async () => {
    const { access_token } = await login()
    const res = await get('/api/me', access_token)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'u-ada', name: 'Ada' })
    expect((await get('/api/me', undefined, { authorization: `bearer ${access_token}` })).status).toBe(200)
  })

  it('rejects two tokens in one header (token_malformed)', async () => {
    const { access_token } = await login()
    const res = await get('/api/me', undefined, { authorization: `Bearer ${access_token} ${access_token}` })
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('token_malformed')
  })

  it('rejects a refresh token used as an access token (token_wrong_type)', async () => {
    const { refresh_token } = await login()
    const res = await get('/api/me', refresh_token)
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('token_wrong_type')
  })

  it('rejects an expired token (token_expired)', async () => {
    const { access_token } = await login()
    clock += 16 * 60 * 1000
    try {
      const res = await get('/api/me', access_token)
      expect(res.status).toBe(401)
      expect(await errorOf(res)).toBe('token_expired')
    } finally {
      clock -= 16 * 60 * 1000
    }
  })

  it('checks roles with the hierarchy (403 insufficient_role)', async () => {
    const admin = await login()
    const user = await login('bob', 'bob-password')
    expect((await get('/admin', admin.access_token)).status).toBe(200)
    expect((await get('/editor', admin.access_token)).status).toBe(200)
    const res = await get('/admin', user.access_token)
    expect(res.status).toBe(403)
    expect(await errorOf(res)).toBe('insufficient_role')
  })

  it('checks scopes (403 insufficient_scope with the scope challenge)', async () => {
    const user = await login('bob', 'bob-password')
    const res = await get('/scoped', user.access_token)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="tokenward", error="insufficient_scope", error_description="this needs the scopes: users:write", scope="users:write"',
    )
  })

  it('supports optional authentication', async () => {
    expect(await (await get('/optional')).json()).toEqual({ sub: null })
    const { access_token } = await login()
    expect(await (await get('/optional', access_token)).json()).toEqual({ sub: 'u-ada' })
    expect((await get('/optional', 'garbage')).status).toBe(401)
  })

  it('logs in with the OAuth2 password form on /auth/token', async () => {
    const res = await post('/auth/token', 'grant_type=password&username=bob&password=bob-password', form)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 900, refresh_expires_in: 604800 })
  })

  it('answers bad bodies with 400 invalid_request, never 500', async () => {
    for (const [body, headers] of [
      ['{not json', json],
      ['username=ada', { 'content-type': 'text/plain' }],
      [JSON.stringify({ username: 'ada' }), json],
      [JSON.stringify({ username: 'ada', password: 'x'.repeat(1024 * 1024) }), json],
      ['[1,2]', json],
    ] as const) {
      const res = await post('/auth/login', body, headers)
      expect(res.status, body.slice(0, 30)).toBe(400)
      expect(await errorOf(res)).toBe('invalid_request')
    }
  })

  it('refuses a wrong password with 401 invalid_credentials, then rate-limits with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post('/auth/login', JSON.stringify({ username: 'eve', password: 'guess' }))
      expect(res.status).toBe(401)
      expect(await errorOf(res)).toBe('invalid_credentials')
    }
    const res = await post('/auth/login', JSON.stringify({ username: 'eve', password: 'guess' }))
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('60')
  })

  it('refreshes (JSON and form), detects reuse, and logs out', async () => {
    const first = await login()
    const second = await post('/auth/refresh', JSON.stringify({ refresh_token: first.refresh_token }))
    expect(second.status).toBe(200)
    const pair = (await second.json()) as { access_token: string; refresh_token: string }
    const third = await post(
      '/auth/token',
      `grant_type=refresh_token&refresh_token=${pair.refresh_token}`,
      form,
    )
    expect(third.status).toBe(200)
    clock += 11_000 // past reuseGrace: a spent token coming back now is reuse, not a retry
    const reused = await post('/auth/refresh', JSON.stringify({ refresh_token: first.refresh_token }))
    expect(reused.status).toBe(401)
    expect(await errorOf(reused)).toBe('refresh_token_reused')

    const fresh = await login()
    const out = await fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${fresh.access_token}` },
      body: JSON.stringify({ refresh_token: fresh.refresh_token }),
    })
    expect(out.status).toBe(204)
    const after = await get('/api/me', fresh.access_token)
    expect(await errorOf(after)).toBe('token_revoked')
  })

  it('logs out with only the Bearer access token and ends the session: its refresh token stops working', async () => {
    const session = await login()
    const out = await fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.access_token}` },
    })
    expect(out.status).toBe(204)
    expect(await errorOf(await get('/api/me', session.access_token))).toBe('token_revoked')
    const refreshed = await post('/auth/refresh', JSON.stringify({ refresh_token: session.refresh_token }))
    expect(refreshed.status).toBe(401)
    expect(await errorOf(refreshed)).toBe('token_revoked')
  })

  it('logs out with only the refresh token, and with an expired access token', async () => {
    const a = await login()
    const out = await post('/auth/logout', JSON.stringify({ refresh_token: a.refresh_token }))
    expect(out.status).toBe(204)
    expect(await errorOf(await get('/api/me', a.access_token))).toBe('token_revoked')
    const b = await login()
    clock += 16 * 60_000 // the access token has expired: it still names its session
    const out2 = await fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${b.access_token}` },
    })
    expect(out2.status).toBe(204)
    expect(
      await errorOf(await post('/auth/refresh', JSON.stringify({ refresh_token: b.refresh_token }))),
    ).toBe('token_revoked')
    const none = await post('/auth/logout', '{}')
    expect(none.status).toBe(401)
  })

  it('serves /auth/me without private fields', async () => {
    const { access_token } = await login()
    const res = await get('/auth/me', access_token)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ id: 'u-ada', name: 'Ada' })
    expect(body).not.toHaveProperty('passwordHash')
  })
})

describe.each(FRAMEWORKS)('%s adapter: cookie mode and a store that is down', (framework) => {
  it('logs in with cookies, needs the CSRF header on unsafe methods, and clears cookies on logout', async () => {
    const app = await startApp(framework, makeAuth({ cookies: true }))
    try {
      const res = await fetch(`${app.url}/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
      })
      const cookies = res.headers.getSetCookie()
      const access = cookies.find((c) => c.startsWith('__Host-tw_access='))!
      const refresh = cookies.find((c) => c.startsWith('__Secure-tw_refresh='))!
      expect(access).toMatch(/HttpOnly/i)
      expect(access).toMatch(/Secure/i)
      expect(access).toMatch(/SameSite=Strict/i)
      expect(refresh).toMatch(/Path=\/auth/)
      const jar = cookies.map((c) => c.split(';')[0]).join('; ')
      const csrf = /__Host-tw_csrf=([^;]+)/.exec(jar)![1]!
      expect(((await res.json()) as { csrf_token: string }).csrf_token).toBe(csrf)
      expect((await fetch(`${app.url}/api/me`, { headers: { cookie: jar } })).status).toBe(200)
      const blocked = await fetch(`${app.url}/api/echo`, { method: 'POST', headers: { cookie: jar } })
      expect(blocked.status).toBe(403)
      expect(((await blocked.json()) as { error: string }).error).toBe('csrf_failed')
      expect(
        (
          await fetch(`${app.url}/api/echo`, {
            method: 'POST',
            headers: { cookie: jar, 'x-csrf-token': csrf },
          })
        ).status,
      ).toBe(200)
      const out = await fetch(`${app.url}/auth/logout`, {
        method: 'POST',
        headers: { cookie: jar, 'x-csrf-token': csrf },
      })
      expect(out.status).toBe(204)
      expect(out.headers.getSetCookie().every((c) => /Max-Age=0/i.test(c))).toBe(true)
    } finally {
      await app.close()
    }
  })

  it('fails closed with 503 store_unavailable', async () => {
    const down = () => Promise.reject(new Error('ECONNREFUSED'))
    const store: TokenStore = {
      revoke: down,
      isRevoked: down,
      consume: down,
      setCutoff: down,
      getCutoff: down,
      hit: down,
    }
    const auth = makeAuth({ store })
    const app = await startApp(framework, auth)
    try {
      const { accessToken } = await auth.issueTokens({ sub: 'u-ada', roles: ['admin'] })
      const res = await fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } })
      expect(res.status).toBe(503)
      expect(((await res.json()) as { error: string }).error).toBe('store_unavailable')
    } finally {
      await app.close()
    }
  })

  it('answers a bug in the app’s own callback with the framework’s 500, never a 503 store outage', async () => {
    const events: { type: string; source?: string }[] = []
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')")
    const auth = makeAuth({
      resolveUser: () => {
        throw bug
      },
      onEvent: (e) => events.push(e as { type: string; source?: string }),
    })
    const app = await startApp(framework, auth, {
      verifyCredentials: () => {
        throw bug
      },
      rateLimit: { maxPerUsername: 3, window: '1m' },
    })
    try {
      const { accessToken } = await auth.issueTokens({ sub: 'u-ada', roles: ['admin'] })
      const res = await fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } })
      expect(res.status).toBe(500)
      const login = await fetch(`${app.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ada', password: 'x' }),
      })
      expect(login.status).toBe(500)
      expect(await login.text()).not.toContain('store_unavailable')
      expect(events.map((e) => e.source)).toContain('verifyCredentials')
    } finally {
      await app.close()
    }
  })
})
