/** requireFresh and POST /auth/reauthenticate over real HTTP on every framework. */
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ex from '../../src/adapters/express.js'
import tokenward, * as fa from '../../src/adapters/fastify.js'
import * as ho from '../../src/adapters/hono.js'
import { type Auth, createAuth } from '../../src/index.js'
import { hashPassword } from '../../src/password/index.js'
import {
  errorOf,
  FRAMEWORKS,
  type Framework,
  json,
  type Served,
  serveExpress,
  serveFastify,
  serveHono,
} from './serve.js'

const FAST = { memoryCost: 1024, timeCost: 1 }
const users: Record<string, { id: string; passwordHash: string }> = {}

async function start(framework: Framework, auth: Auth<object, unknown>): Promise<Served> {
  const routes = { findUser: (n: string) => users[n] ?? null, passwordOptions: FAST }
  if (framework === 'express') {
    const app = express()
    app.use(ex.authRouter(auth, routes))
    app.post(
      '/email',
      ex.authenticate(auth),
      ex.requireFresh('5m'),
      (_req, res) => void res.json({ ok: true }),
    )
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth, routes })
    app.post('/email', { preHandler: [app.authenticate, fa.requireFresh('5m')] }, async () => ({ ok: true }))
    app.post('/email-config', { config: { auth: { maxAge: '5m' } } }, async () => ({ ok: true }))
    return serveFastify(app)
  }
  const app = new Hono()
  app.route('/', ho.authRoutes(auth, routes))
  app.post('/email', ho.authenticate(auth), ho.requireFresh('5m'), (c) => c.json({ ok: true }))
  // protect() with a maxAge and nothing else: the freshness alone is the requirement.
  app.post(
    '/email-protect',
    ho.protect(auth, { maxAge: '5m' }, (c) => c.json({ ok: true })),
  )
  return serveHono(app)
}

beforeAll(async () => {
  users.ada = { id: 'u-ada', passwordHash: await hashPassword('ada-password', FAST) }
  users.bob = { id: 'u-bob', passwordHash: await hashPassword('bob-password', FAST) }
})

describe.each(FRAMEWORKS)('%s: step-up', (framework) => {
  let now = Date.UTC(2026, 0, 1)
  const auth = createAuth({ secret: 'step-up-test-secret-at-least-32-bytes!!', now: () => now })
  let app: Served
  beforeAll(async () => {
    app = await start(framework, auth as Auth<object, unknown>)
  })
  afterAll(async () => app.close())
  const post = (path: string, token: string, body: unknown = {}) =>
    fetch(app.url + path, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    })

  it('lets a fresh login through, asks an old one to log in again, and re-authenticates in the same session', async () => {
    const login = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
    })
    const pair = (await login.json()) as { access_token: string; refresh_token: string }
    expect((await post('/email', pair.access_token)).status).toBe(200)
    if (framework === 'hono') expect((await post('/email-protect', pair.access_token)).status).toBe(200)
    now += 10 * 60_000
    const refreshed = (await (
      await fetch(`${app.url}/auth/refresh`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ refresh_token: pair.refresh_token }),
      })
    ).json()) as { access_token: string }
    const stale = await post('/email', refreshed.access_token)
    expect(stale.status).toBe(401)
    expect(stale.headers.get('www-authenticate')).toContain('error="insufficient_user_authentication"')
    expect(stale.headers.get('www-authenticate')).toContain('max_age=300')
    expect(await errorOf(stale)).toBe('insufficient_user_authentication')
    if (framework === 'fastify')
      expect((await post('/email-config', refreshed.access_token)).status).toBe(401)
    if (framework === 'hono') {
      const protectedStale = await post('/email-protect', refreshed.access_token)
      expect(protectedStale.status).toBe(401)
      expect(protectedStale.headers.get('www-authenticate')).toContain('max_age=300')
      expect(await errorOf(protectedStale)).toBe('insufficient_user_authentication')
    }

    // Another account's password does not step this session up; a wrong one neither.
    expect(
      (
        await post('/auth/reauthenticate', refreshed.access_token, {
          username: 'bob',
          password: 'bob-password',
        })
      ).status,
    ).toBe(401)
    expect(
      (await post('/auth/reauthenticate', refreshed.access_token, { username: 'ada', password: 'nope' }))
        .status,
    ).toBe(401)
    const again = await post('/auth/reauthenticate', refreshed.access_token, {
      username: 'ada',
      password: 'ada-password',
    })
    expect(again.status).toBe(200)
    const fresh = (await again.json()) as { access_token: string }
    expect((await post('/email', fresh.access_token)).status).toBe(200)
    const fid = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).fid
    expect(fid(fresh.access_token)).toBe(fid(pair.access_token))
  })

  it('refuses a requireFresh without a duration at start-up', () => {
    const guard =
      framework === 'express' ? ex.requireFresh : framework === 'fastify' ? fa.requireFresh : ho.requireFresh
    expect(() => guard('soon' as never)).toThrow(/requireFresh/)
    if (framework === 'hono')
      expect(() => ho.protect(auth, { maxAge: 'soon' as never }, () => new Response())).toThrow(/maxAge/)
  })
})
