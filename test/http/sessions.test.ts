// GET /auth/sessions and DELETE /auth/sessions/:id over real HTTP, the same app on Express, Fastify
// and Hono (test/adapters/apps.ts): the caller's own sessions only, another user's session id is
// 404 and is never revoked, the CSRF rule of cookie mode covers DELETE, a store without session
// records answers 501, a store that cannot revoke answers 503.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authOpenApi, createAuth, createAuthRoutes, memoryStore, type TokenStore } from '../../src/index.js'
import { makeAuth, type RunningApp, startApp } from '../adapters/apps.js'
import { cookieIn, errorOf, FRAMEWORKS, jarOf, json } from '../adapters/serve.js'

const fidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).fid as string

interface WireSession {
  id: string
  created_at: number
  last_used_at: number
  expires_at: number
  user_agent: string | null
  address: string | null
  current: boolean
}

/** A memory store without its session methods. */
function withoutSessions(): TokenStore {
  const { saveSession, touchSession, listSessions, deleteSession, ...rest } = memoryStore()
  return rest
}

describe.each(FRAMEWORKS)('%s: the sessions routes', (framework) => {
  let refuseRevoke = false
  const store = memoryStore()
  const auth = makeAuth({
    store: {
      ...store,
      revoke: (...args) => (refuseRevoke ? Promise.reject(new Error('down')) : store.revoke(...args)),
    },
  })
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp(framework, auth)
  })
  afterAll(async () => app.close())

  const login = async (username: string, userAgent: string) => {
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { ...json, 'user-agent': userAgent },
      body: JSON.stringify({ username, password: `${username}-password` }),
    })
    expect(res.status).toBe(200)
    return (await res.json()) as { access_token: string; refresh_token: string }
  }
  const sessions = async (token: string) => {
    const res = await fetch(`${app.url}/auth/sessions`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    return ((await res.json()) as { sessions: WireSession[] }).sessions
  }
  const remove = (id: string, token?: string) =>
    fetch(`${app.url}/auth/sessions/${id}`, {
      method: 'DELETE',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
  const me = (token: string) => fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })

  it('lists the caller’s own sessions, newest first, the current one marked, in snake_case', async () => {
    const laptop = await login('ada', 'Firefox/140.0')
    const phone = await login('ada', 'Mobile Safari/18')
    await login('bob', 'curl/8.0')
    const listed = await sessions(laptop.access_token)
    expect(listed).toHaveLength(2)
    expect(listed.map((s) => [s.id, s.user_agent, s.current])).toEqual([
      [fidOf(phone.access_token), 'Mobile Safari/18', false],
      [fidOf(laptop.access_token), 'Firefox/140.0', true],
    ])
    const [newest] = listed
    expect(newest!.address).toBe('127.0.0.0/24')
    expect(newest!.expires_at - newest!.created_at).toBe(7 * 86400 + 5)
    expect(newest!.last_used_at).toBe(newest!.created_at)
    expect(Object.keys(newest!).sort()).toEqual(
      ['address', 'created_at', 'current', 'expires_at', 'id', 'last_used_at', 'user_agent'].sort(),
    )
  })

  it('answers 401 without a token, on both routes', async () => {
    const res = await fetch(`${app.url}/auth/sessions`)
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('token_missing')
    expect((await remove('whatever')).status).toBe(401)
  })

  it("answers 404 for another user's session and never revokes it", async () => {
    const mallory = await login('bob', 'curl/8.0')
    const alice = await login('ada', 'Firefox/140.0')
    const res = await remove(fidOf(alice.access_token), mallory.access_token)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'session_not_found', message: 'no such session' })
    expect((await me(alice.access_token)).status).toBe(200)
    expect((await sessions(alice.access_token)).map((s) => s.id)).toContain(fidOf(alice.access_token))
    // Unknown and malformed ids are the same 404.
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'not%20an%20id', 'a.b', "'%3B--", 'x'.repeat(65)]) {
      const unknown = await remove(id, mallory.access_token)
      expect(unknown.status, id).toBe(404)
      expect(await errorOf(unknown), id).toBe('session_not_found')
    }
  })

  it('ends another session of the caller: 204, and its tokens stop working at once', async () => {
    const current = await login('ada', 'Firefox/140.0')
    const other = await login('ada', 'Old phone')
    expect((await me(other.access_token)).status).toBe(200)
    const res = await remove(fidOf(other.access_token), current.access_token)
    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()).toEqual([])
    const after = await me(other.access_token)
    expect(after.status).toBe(401)
    expect(await errorOf(after)).toBe('token_revoked')
    const refresh = await fetch(`${app.url}/auth/refresh`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ refresh_token: other.refresh_token }),
    })
    expect(await errorOf(refresh)).toBe('token_revoked')
    expect((await sessions(current.access_token)).map((s) => s.id)).not.toContain(fidOf(other.access_token))
    expect((await me(current.access_token)).status).toBe(200)
  })

  it('ends the current session too, when asked', async () => {
    const current = await login('ada', 'Firefox/140.0')
    expect((await remove(fidOf(current.access_token), current.access_token)).status).toBe(204)
    expect(await errorOf(await me(current.access_token))).toBe('token_revoked')
  })

  it('shows a refresh as last_used_at; the session keeps its id', async () => {
    const pair = await login('bob', 'curl/8.0')
    const res = await fetch(`${app.url}/auth/refresh`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ refresh_token: pair.refresh_token }),
    })
    const next = (await res.json()) as { access_token: string }
    expect(fidOf(next.access_token)).toBe(fidOf(pair.access_token))
    const mine = (await sessions(next.access_token)).find((s) => s.current)!
    expect(mine.id).toBe(fidOf(pair.access_token))
    expect(mine.last_used_at).toBeGreaterThanOrEqual(mine.created_at)
  })

  it('is not found under other methods or deeper paths', async () => {
    const { access_token } = await login('ada', 'Firefox/140.0')
    const auth = { authorization: `Bearer ${access_token}` }
    const id = fidOf(access_token)
    expect((await fetch(`${app.url}/auth/sessions/${id}`, { headers: auth })).status).toBe(404)
    expect(
      (await fetch(`${app.url}/auth/sessions/${id}/x`, { method: 'DELETE', headers: auth })).status,
    ).toBe(404)
    expect((await fetch(`${app.url}/auth/sessions`, { method: 'DELETE', headers: auth })).status).toBe(404)
    expect((await me(access_token)).status).toBe(200)
  })

  it('answers 503 when the session cannot be revoked, and the session lives on, listed', async () => {
    const current = await login('ada', 'Firefox/140.0')
    const other = await login('ada', 'Tablet')
    refuseRevoke = true
    try {
      const res = await remove(fidOf(other.access_token), current.access_token)
      expect(res.status).toBe(503)
      expect(await errorOf(res)).toBe('store_unavailable')
    } finally {
      refuseRevoke = false
    }
    expect((await sessions(current.access_token)).map((s) => s.id)).toContain(fidOf(other.access_token))
  })
})

describe.each(FRAMEWORKS)('%s: the sessions routes in cookie mode', (framework) => {
  const auth = makeAuth({ cookies: true })
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp(framework, auth)
  })
  afterAll(async () => app.close())

  const login = async () => {
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
    })
    expect(res.status).toBe(200)
    const jar = jarOf(res)
    return { jar, csrf: cookieIn(jar, '__Host-tw_csrf')!, fid: fidOf(cookieIn(jar, '__Host-tw_access')!) }
  }

  it('lists by the access cookie (GET needs no CSRF header); DELETE needs the CSRF header', async () => {
    const current = await login()
    const other = await login()
    const list = await fetch(`${app.url}/auth/sessions`, { headers: { cookie: current.jar } })
    expect(list.status).toBe(200)
    const ids = ((await list.json()) as { sessions: WireSession[] }).sessions.map((s) => s.id)
    expect(ids).toEqual(expect.arrayContaining([current.fid, other.fid]))

    const forged = await fetch(`${app.url}/auth/sessions/${other.fid}`, {
      method: 'DELETE',
      headers: { cookie: current.jar },
    })
    expect(forged.status).toBe(403)
    expect(await errorOf(forged)).toBe('csrf_failed')
    // Another session's CSRF token is no good either: it is bound to its own session.
    const crossed = await fetch(`${app.url}/auth/sessions/${other.fid}`, {
      method: 'DELETE',
      headers: { cookie: current.jar, 'x-csrf-token': other.csrf },
    })
    expect(crossed.status).toBe(403)
    expect((await fetch(`${app.url}/api/me`, { headers: { cookie: other.jar } })).status).toBe(200)

    const res = await fetch(`${app.url}/auth/sessions/${other.fid}`, {
      method: 'DELETE',
      headers: { cookie: current.jar, 'x-csrf-token': current.csrf },
    })
    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()).toEqual([]) // another session: the caller's cookies stay
    expect(await errorOf(await fetch(`${app.url}/api/me`, { headers: { cookie: other.jar } }))).toBe(
      'token_revoked',
    )
  })

  it('clears the session cookies when the current session is ended', async () => {
    const current = await login()
    const res = await fetch(`${app.url}/auth/sessions/${current.fid}`, {
      method: 'DELETE',
      headers: { cookie: current.jar, 'x-csrf-token': current.csrf },
    })
    expect(res.status).toBe(204)
    const cleared = res.headers.getSetCookie()
    expect(cleared).toHaveLength(3)
    for (const cookie of cleared) expect(cookie).toMatch(/Max-Age=0/)
  })
})

describe.each(FRAMEWORKS)('%s: a store without session records', (framework) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp(framework, makeAuth({ store: withoutSessions() }))
  })
  afterAll(async () => app.close())

  it('answers 501 sessions_unsupported to an authenticated caller (401 to anyone else); login still works', async () => {
    expect((await fetch(`${app.url}/auth/sessions`)).status).toBe(401)
    const login = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
    })
    const { access_token } = (await login.json()) as { access_token: string }
    const headers = { authorization: `Bearer ${access_token}` }
    for (const res of [
      await fetch(`${app.url}/auth/sessions`, { headers }),
      await fetch(`${app.url}/auth/sessions/${fidOf(access_token)}`, { method: 'DELETE', headers }),
    ]) {
      expect(res.status).toBe(501)
      expect(await res.json()).toEqual({
        error: 'sessions_unsupported',
        message:
          'the token store keeps no session records (it lacks saveSession, touchSession, listSessions, deleteSession)',
      })
    }
    expect((await fetch(`${app.url}/api/me`, { headers })).status).toBe(200)
  })
})

describe('the login route records the client', () => {
  it('keeps the user agent and the /64 of an IPv6 client (through trustProxy too)', async () => {
    const auth = createAuth({ secret: 'sessions-route-secret-at-least-32-bytes!' })
    const routes = createAuthRoutes(auth, {
      verifyCredentials: (username, password) => (password === 'pw' ? { id: username } : null),
      trustProxy: true,
    })
    const login = (address: string, headers: Record<string, string> = {}) =>
      routes.handle({
        method: 'POST',
        path: '/login',
        headers: { ...json, 'user-agent': 'Agent/1', ...headers },
        body: JSON.stringify({ username: 'u1', password: 'pw' }),
        address,
      })
    expect((await login('2001:db8:aa:bb:1:2:3:4'))!.status).toBe(200)
    expect((await login('10.0.0.1', { 'x-forwarded-for': '2001:db8:cc:dd::9' }))!.status).toBe(200)
    const addresses = (await auth.listSessions('u1')).map((s) => s.address)
    expect(addresses.sort()).toEqual(['2001:db8:aa:bb::/64', '2001:db8:cc:dd::/64'])
    expect((await auth.listSessions('u1')).every((s) => s.userAgent === 'Agent/1')).toBe(true)
  })
})

describe('the OpenAPI document', () => {
  it('describes GET /sessions and DELETE /sessions/{id} with its path parameter, both authenticated', () => {
    const auth = createAuth({ secret: 'sessions-route-secret-at-least-32-bytes!' })
    const doc = authOpenApi(auth, { verifyCredentials: () => null }) as {
      paths: Record<string, Record<string, { security?: unknown; parameters?: unknown; responses: object }>>
    }
    const list = doc.paths['/auth/sessions']!.get!
    const remove = doc.paths['/auth/sessions/{id}']!.delete!
    expect(list.security).toEqual([{ bearer: [] }])
    expect(remove.security).toEqual([{ bearer: [] }])
    expect(remove.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ])
    expect(Object.keys(remove.responses)).toEqual(expect.arrayContaining(['204', '404', '501', '503']))
  })
})
