// CSRF fails closed (S5). (a) The core: a cookie presented to auth.authenticate
// without a method is treated as unsafe. (b) Cookie mode over real HTTP on Express, Fastify and Hono:
// a token request (/login, /token) proves it is same-origin (Sec-Fetch-Site, or an Origin equal to
// the app's own, or a JSON body no cross-site form can send); a cross-site or undecidable one is
// refused with 403 csrf_failed and sets no cookie.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth, createAuthRoutes } from '../../../src/index.js'
import { errorOf, FRAMEWORKS, postForm, postJson, ROUTES, SECRET, type Served, serveAuth } from './app.js'

const CREDENTIALS = { username: 'ada', password: 'ada-password' }
const PASSWORD_GRANT = { grant_type: 'password', ...CREDENTIALS }
const CROSS_SITE = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }

describe('auth.authenticate in cookie mode (item 7a)', () => {
  it('treats a cookie without a method as unsafe: csrf_failed (403) without the CSRF token, accepted with it', async () => {
    const auth = createAuth({ secret: SECRET, cookies: true })
    const login = await createAuthRoutes(auth, ROUTES).handle({
      method: 'POST',
      path: '/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(CREDENTIALS),
    })
    expect(login?.status).toBe(200)
    const cookie = login!.cookies.find((c) => c.startsWith('__Host-tw_access='))!.split(';')[0]!
    const csrfToken = (login!.body as { csrf_token: string }).csrf_token
    const refused = async (input: Parameters<typeof auth.authenticate>[0]) =>
      expect(Promise.resolve().then(() => auth.authenticate(input))).rejects.toMatchObject({
        code: 'csrf_failed',
        status: 403,
      })
    await refused({ cookie })
    await refused({ headers: { cookie } })
    expect((await auth.authenticate({ cookie, csrfToken })).claims.sub).toBe('u-ada')
    expect((await auth.authenticate({ headers: { cookie, 'x-csrf-token': csrfToken } })).claims.sub).toBe(
      'u-ada',
    )
  })
})

describe.each(FRAMEWORKS)('%s: login CSRF in cookie mode (item 7b)', (framework) => {
  const auth = createAuth({ secret: SECRET, cookies: true })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())

  const formLogin = (headers: Record<string, string>) =>
    postForm(`${app.url}/auth/login`, CREDENTIALS, headers)
  const expectRefused = async (res: Response) => {
    expect(res.status).toBe(403)
    expect(await errorOf(res)).toBe('csrf_failed')
    expect(res.headers.getSetCookie()).toEqual([])
  }
  const expectSignedIn = async (res: Response) => {
    expect(res.status).toBe(200)
    expect(res.headers.getSetCookie()).toHaveLength(3)
    await res.body?.cancel()
  }

  it('refuses a cross-site HTML form POST to /auth/login (403 csrf_failed) and sets no cookie', async () => {
    await expectRefused(await formLogin(CROSS_SITE))
  })

  it('refuses a cross-site HTML form POST to /auth/token (403 csrf_failed) and sets no cookie', async () => {
    await expectRefused(await postForm(`${app.url}/auth/token`, PASSWORD_GRANT, CROSS_SITE))
  })

  it('accepts a form login that proves it is same-origin: Sec-Fetch-Site same-origin or none, or the app’s own Origin', async () => {
    await expectSignedIn(await formLogin({ 'sec-fetch-site': 'same-origin' }))
    await expectSignedIn(await formLogin({ 'sec-fetch-site': 'none' }))
    await expectSignedIn(await formLogin({ origin: app.url }))
    await expectSignedIn(await postForm(`${app.url}/auth/token`, PASSWORD_GRANT, { origin: app.url }))
  })

  it('with neither header accepts a JSON body (no cross-site form can send it) and refuses a form body (cannot tell: closed)', async () => {
    await expectSignedIn(await postJson(`${app.url}/auth/login`, CREDENTIALS))
    await expectRefused(await formLogin({}))
  })

  it('refuses Sec-Fetch-Site same-site or cross-site with an Origin that is not the app’s own', async () => {
    await expectRefused(await formLogin({ 'sec-fetch-site': 'same-site', origin: 'https://sibling.example' }))
    await expectRefused(await formLogin({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }))
    await expectRefused(
      await postJson(`${app.url}/auth/login`, CREDENTIALS, {
        'sec-fetch-site': 'cross-site',
        origin: 'https://evil.example',
      }),
    )
  })
})
