// In cookie mode page JavaScript never sees a token: the JSON body of login and
// refresh carries no access_token by default (only token_type, expires_in, refresh_expires_in and
// csrf_token), and does only with `cookies: { accessTokenInBody: true }` (the cross-origin Bearer
// case). Over real HTTP on Express, Fastify and Hono.
import { afterEach, describe, expect, it } from 'vitest'
import { type CookieOptions, createAuth } from '../../../src/index.js'
import { cookieIn, FRAMEWORKS, jarOf, postJson, SECRET, type Served, serveAuth } from './app.js'

const TOKEN_FREE = ['csrf_token', 'expires_in', 'refresh_expires_in', 'token_type']

describe.each(FRAMEWORKS)('%s: cookie-mode bodies', (framework) => {
  let app: Served | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  /** Login, then a refresh by cookie: both JSON bodies, and the access cookie each set. */
  const loginAndRefresh = async () => {
    const login = await postJson(`${app!.url}/auth/login`, { username: 'ada', password: 'ada-password' })
    expect(login.status).toBe(200)
    const jar = jarOf(login)
    const refresh = await fetch(`${app!.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: jar, 'x-csrf-token': cookieIn(jar, '__Host-tw_csrf')! },
    })
    expect(refresh.status).toBe(200)
    return [
      { body: (await login.json()) as Record<string, unknown>, cookie: cookieIn(jar, '__Host-tw_access') },
      {
        body: (await refresh.json()) as Record<string, unknown>,
        cookie: cookieIn(jarOf(refresh), '__Host-tw_access'),
      },
    ]
  }

  it('keeps the access token out of the login and refresh bodies by default', async () => {
    app = await serveAuth(framework, createAuth({ secret: SECRET, cookies: true }))
    for (const { body, cookie } of await loginAndRefresh()) {
      expect(Object.keys(body).sort()).toEqual(TOKEN_FREE)
      expect(cookie).toBeTruthy()
      expect(JSON.stringify(body)).not.toContain(cookie!)
    }
  })

  it('puts the access token in the body with cookies: { accessTokenInBody: true }, and still never the refresh token', async () => {
    const cookies: CookieOptions = { accessTokenInBody: true }
    app = await serveAuth(framework, createAuth({ secret: SECRET, cookies }))
    for (const { body, cookie } of await loginAndRefresh()) {
      expect(Object.keys(body).sort()).toEqual(['access_token', ...TOKEN_FREE])
      expect(body.access_token).toBe(cookie)
    }
  })
})
