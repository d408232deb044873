// Step-up never forks the session (S1). POST /auth/reauthenticate without the
// refresh token renews only the access token (the old refresh token stays THE live one); with it
// (body, or the refresh cookie in cookie mode) it rotates that token like a refresh; a refresh token
// of another session is refused and nothing is spent. Over real HTTP on Express, Fastify and Hono.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/index.js'
import {
  claimsOf,
  cookieIn,
  errorOf,
  FRAMEWORKS,
  jarOf,
  type Pair,
  postJson,
  SECRET,
  type Served,
  serveAuth,
  T0,
} from './app.js'

const AFTER_GRACE = 11_000
const CREDENTIALS = { username: 'ada', password: 'ada-password' }
const ACCESS = '__Host-tw_access'
const REFRESH = '__Secure-tw_refresh'
const CSRF = '__Host-tw_csrf'

/** The cookie names a response sets (a cleared cookie counts too). */
const setCookieNames = (res: Response) => res.headers.getSetCookie().map((c) => c.slice(0, c.indexOf('=')))

describe.each(FRAMEWORKS)('%s: step-up keeps one live refresh token', (framework) => {
  let clock = T0
  const auth = createAuth({ secret: SECRET, now: () => clock })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())

  const login = async (): Promise<Pair> => {
    const res = await postJson(`${app.url}/auth/login`, CREDENTIALS)
    expect(res.status).toBe(200)
    return (await res.json()) as Pair
  }
  const reauthenticate = (accessToken: string, extra: Record<string, string> = {}) =>
    postJson(
      `${app.url}/auth/reauthenticate`,
      { ...CREDENTIALS, ...extra },
      { authorization: `Bearer ${accessToken}` },
    )
  const refresh = (refreshToken: string) =>
    postJson(`${app.url}/auth/refresh`, { refresh_token: refreshToken })
  const nowSeconds = () => Math.floor(clock / 1000)

  it('without a refresh token answers only a fresh access token, and the old refresh token stays the live one', async () => {
    const first = await login()
    clock += 60_000
    const res = await reauthenticate(first.access_token)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type'])
    const access = claimsOf(body.access_token as string)
    expect(access.auth_time).toBe(nowSeconds())
    expect(access.fid).toBe(claimsOf(first.access_token).fid)
    expect((await refresh(first.refresh_token)).status).toBe(200)
  })

  it('with the refresh token rotates it (auth_time now); the old one after the grace window is reuse', async () => {
    const first = await login()
    clock += 60_000
    const res = await reauthenticate(first.access_token, { refresh_token: first.refresh_token })
    expect(res.status).toBe(200)
    const next = (await res.json()) as Pair
    expect(claimsOf(next.refresh_token).auth_time).toBe(nowSeconds())
    expect(claimsOf(next.access_token).auth_time).toBe(nowSeconds())
    expect(claimsOf(next.refresh_token).fid).toBe(claimsOf(first.refresh_token).fid)
    clock += AFTER_GRACE
    const old = await refresh(first.refresh_token)
    expect(old.status).toBe(401)
    expect(await errorOf(old)).toBe('refresh_token_reused')
  })

  it('refuses a refresh token of another session (400 invalid_request or 401 token_claim_invalid) and spends nothing', async () => {
    const mine = await login()
    const other = await login()
    const res = await reauthenticate(mine.access_token, { refresh_token: other.refresh_token })
    expect([400, 401]).toContain(res.status)
    expect(await errorOf(res)).toBe(res.status === 400 ? 'invalid_request' : 'token_claim_invalid')
    // Past any grace window: each is still its session's first presentation.
    clock += AFTER_GRACE
    expect((await refresh(other.refresh_token)).status).toBe(200)
    expect((await refresh(mine.refresh_token)).status).toBe(200)
  })
})

describe.each(FRAMEWORKS)('%s: step-up in cookie mode', (framework) => {
  let clock = T0
  const auth = createAuth({ secret: SECRET, now: () => clock, cookies: true })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())

  const login = async (): Promise<string> => {
    const res = await postJson(`${app.url}/auth/login`, CREDENTIALS)
    expect(res.status).toBe(200)
    return jarOf(res)
  }
  const reauthenticate = (cookie: string, csrf: string) =>
    postJson(`${app.url}/auth/reauthenticate`, CREDENTIALS, { cookie, 'x-csrf-token': csrf })
  const refresh = (cookie: string, csrf: string) =>
    fetch(`${app.url}/auth/refresh`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })

  it('without the refresh cookie sets only the access cookie, and the refresh cookie keeps refreshing', async () => {
    const jar = await login()
    const csrf = cookieIn(jar, CSRF)!
    const accessOnly = `${ACCESS}=${cookieIn(jar, ACCESS)}; ${CSRF}=${csrf}`
    clock += 60_000
    const res = await reauthenticate(accessOnly, csrf)
    expect(res.status).toBe(200)
    expect(setCookieNames(res)).toEqual([ACCESS])
    expect(await res.json()).not.toHaveProperty('refresh_token')
    expect(claimsOf(cookieIn(jarOf(res), ACCESS)!).auth_time).toBe(Math.floor(clock / 1000))
    expect((await refresh(jar, csrf)).status).toBe(200)
  })

  it('with the refresh cookie rotates it; the old refresh cookie after the grace window is reuse', async () => {
    const jar = await login()
    const csrf = cookieIn(jar, CSRF)!
    clock += 60_000
    const res = await reauthenticate(jar, csrf)
    expect(res.status).toBe(200)
    const rotated = cookieIn(jarOf(res), REFRESH)
    expect(rotated).toBeTruthy()
    expect(rotated).not.toBe(cookieIn(jar, REFRESH))
    expect(claimsOf(rotated!).auth_time).toBe(Math.floor(clock / 1000))
    clock += AFTER_GRACE
    const old = await refresh(jar, csrf)
    expect(old.status).toBe(401)
    expect(await errorOf(old)).toBe('refresh_token_reused')
  })
})
