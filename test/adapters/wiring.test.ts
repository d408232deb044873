// Wiring mistakes fail loudly, at start-up where the framework allows it, never open and never
// hanging. Fastify: app.ready() rejects saying what to move. Express:
// a factory misused as a middleware answers a 500 naming the fix; a bad argument throws at once.
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import * as ex from '../../src/adapters/express.js'
import tokenward, * as fa from '../../src/adapters/fastify.js'
import * as ho from '../../src/adapters/hono.js'
import { createAuth } from '../../src/index.js'
import { errorOf, SECRET, type Served, serveExpress, serveHono } from './serve.js'

const auth = createAuth({ secret: SECRET })
const admin = async () => (await auth.issueTokens({ sub: 'ada', roles: ['admin'] })).accessToken
// A request must never hang: each gets 3 s.
const get = (url: string, token?: string) =>
  fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(3000),
  })

describe('fastify: a route that wants tokenward is protected or the app does not start', () => {
  it('refuses to start when a config.auth route was declared before the plugin loaded', async () => {
    const app = Fastify()
    app.get('/admin', { config: { auth: { roles: ['admin'] } } }, async () => 'secret')
    app.get('/health', async () => 'ok') // public routes before the plugin are fine
    await app.register(tokenward, { auth })
    const err = await app.ready().then(
      () => undefined,
      (e: Error) => e,
    )
    expect(err?.message).toMatch(/GET \/admin was declared before the tokenward plugin loaded/)
    expect(err?.message).toContain('await app.register(tokenward')
    expect(err?.message).not.toContain('/health')
    await expect(app.listen({ port: 0, host: '127.0.0.1' })).rejects.toThrow(/GET \/admin/)
    // Declared after the awaited register, in the root and in plugins: protected.
    const ok = Fastify()
    await ok.register(tokenward, { auth })
    ok.get('/admin', { config: { auth: { roles: ['admin'] } } }, async () => 'secret')
    await ok.register(async (api) => {
      api.get('/orders', { config: { auth: true } }, async () => [])
    })
    await ok.ready()
    expect((await ok.inject('/admin')).statusCode).toBe(401)
    expect((await ok.inject('/orders')).statusCode).toBe(401)
    const allowed = await ok.inject({ url: '/admin', headers: { authorization: `Bearer ${await admin()}` } })
    expect(allowed.statusCode).toBe(200)
    await ok.close()
  })

  it('refuses to start when register() was not awaited before the routes', async () => {
    const app = Fastify()
    app.register(tokenward, { auth }) // no await: the plugin loads after the routes below
    app.get('/admin', { config: { auth: true } }, async () => 'secret')
    await expect(app.ready()).rejects.toThrow(/GET \/admin was declared before the tokenward plugin loaded/)
  })

  it('refuses to start when a plugin with config.auth routes was registered before tokenward', async () => {
    const app = Fastify()
    app.register(
      async (api) => {
        api.get('/orders', { config: { auth: true } }, async () => [])
      },
      { prefix: '/api' },
    )
    await app.register(tokenward, { auth })
    await expect(app.ready()).rejects.toThrow(/GET \/api\/orders was declared before/)
  })

  it('refuses to start when a config.auth route lives in a scope without tokenward', async () => {
    const app = Fastify()
    await app.register(async (a) => {
      await a.register(tokenward, { auth })
      a.get('/a', { config: { auth: true } }, async () => 'a')
    })
    await app.register(async (b) => {
      b.get('/b', { config: { auth: true } }, async () => 'b')
    })
    await expect(app.ready()).rejects.toThrow(
      /GET \/b has config.auth, but tokenward is not registered in its scope/,
    )
  })

  it('with protect: true, refuses to start when any route was declared before the plugin (unless auth: false)', async () => {
    const app = Fastify()
    app.get('/open', { config: { auth: false } }, async () => 'public')
    app.get('/orders', async () => [])
    await app.register(tokenward, { auth, protect: true })
    await expect(app.ready()).rejects.toThrow(/GET \/orders was declared before/)
    const ok = Fastify()
    ok.get('/open', { config: { auth: false } }, async () => 'public')
    await ok.register(tokenward, { auth, protect: true })
    ok.get('/orders', async () => [])
    await ok.ready()
    expect((await ok.inject('/orders')).statusCode).toBe(401)
    expect((await ok.inject('/open')).statusCode).toBe(200)
    await ok.close()
  })

  it('refuses an unknown key in config.auth at start-up (`role` for `roles`)', async () => {
    const app = Fastify()
    await app.register(tokenward, { auth })
    expect(() =>
      app.get('/admin', { config: { auth: { role: ['admin'] } as never } }, async () => 'secret'),
    ).toThrow(/unknown option `role` in config.auth of GET \/admin — did you mean `roles`\?/)
    expect(() =>
      app.get('/admin2', { config: { auth: { roles: 'admin' } as never } }, async () => 'secret'),
    ).toThrow(/`roles` must be a list of strings/)
    const inPlugin = Fastify()
    await inPlugin.register(tokenward, { auth })
    inPlugin.register(async (api) => {
      api.get('/x', { config: { auth: { scope: ['a'] } as never } }, async () => 'x')
    })
    await expect(inPlugin.ready()).rejects.toThrow(/did you mean `scopes`\?/)
  })

  it('refuses unknown plugin options, a missing auth, and a user decoration another plugin owns', async () => {
    const typo = Fastify()
    typo.register(tokenward, { auth, protected: true } as never)
    await expect(typo.ready()).rejects.toThrow(/unknown option `protected`.*did you mean `protect`\?/)
    const none = Fastify()
    none.register(tokenward, {} as never)
    await expect(none.ready()).rejects.toThrow(/needs the object createAuth\(\) returned/)
    const passport = Fastify()
    passport.decorateRequest('user', null) // what @fastify/passport and @fastify/jwt do
    passport.register(tokenward, { auth })
    await expect(passport.ready()).rejects.toThrow(/request.user is already decorated.*userProperty/)
  })
})

describe('express: misuse answers at once, never hangs', () => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })

  it('answers a 500 naming the fix when authenticate is passed without being called', async () => {
    const app = express()
    app.get('/x', ex.authenticate as never, (_req, res) => {
      res.send('open!')
    })
    served = await serveExpress(app)
    const res = await get(`${served.url}/x`, await admin())
    expect(res.status).toBe(500)
    expect(await res.text()).toContain('write app.get(path, authenticate(auth), handler), not authenticate')
  })

  it('answers a 500 for the other factories handed over uncalled', async () => {
    const app = express()
    app.get('/roles', ex.requireRoles as never, (_req, res) => {
      res.send('open!')
    })
    app.get('/any', ex.requireAuth as never, (_req, res) => {
      res.send('open!')
    })
    app.use('/auth', ex.authRouter as never)
    served = await serveExpress(app)
    for (const [path, name] of [
      ['/roles', 'requireRoles'],
      ['/any', 'requireAuth'],
      ['/auth/login', 'authRouter'],
    ]) {
      const res = await get(`${served.url}${path}`)
      expect(res.status, path).toBe(500)
      expect(await res.text(), path).toContain(`\`${name}\` was given to the framework without being called`)
    }
  })

  it('throws at once for authenticate(undefined), an unknown option, or roles in an array', () => {
    expect(() => ex.authenticate(undefined as never)).toThrow(
      'tokenward: authenticate(auth) needs the object createAuth() returned as its first argument, got undefined',
    )
    expect(() => ex.authenticate(auth, { optinal: true } as never)).toThrow(/did you mean `optional`\?/)
    expect(() => ex.requireRoles(['admin'] as never)).toThrow(/requireRoles\(…\) takes names/)
    expect(() => ex.authRouter(undefined as never, {} as never)).toThrow(/authRouter\(auth, options\) needs/)
  })

  it('answers a guard without authenticate with a 500 naming the fix, not "no bearer token"', async () => {
    const app = express()
    app.get('/admin', ex.requireRoles('admin'), (_req, res) => {
      res.send('welcome')
    })
    served = await serveExpress(app)
    const res = await get(`${served.url}/admin`, await admin())
    expect(res.status).toBe(500)
    const text = (await res.text()).replaceAll('&#39;', "'") // Express's error page escapes quotes
    expect(text).toContain("requireRoles('admin') ran before authenticate(auth)")
    expect(text).not.toContain('no bearer token')
    // After an optional authenticate that found nothing, a guard still answers 401.
    await served.close()
    const optional = express()
    optional.get('/private', ex.authenticate(auth, { optional: true }), ex.requireAuth(), (_req, res) => {
      res.send('hi')
    })
    served = await serveExpress(optional)
    const anonymous = await get(`${served.url}/private`)
    expect(anonymous.status).toBe(401)
    expect(await errorOf(anonymous)).toBe('token_missing')
  })
})

describe('hono: the same mistakes fail the same way', () => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })

  const withOnError = (app: Hono) => {
    app.onError((err, c) => c.text(`${err.name}: ${err.message}`, 500))
    return app
  }

  it('answers a 500 naming the fix for an uncalled authenticate or guard, and for a guard before authenticate', async () => {
    const app = withOnError(new Hono())
    app.use('/a/*', ho.authenticate as never)
    app.get('/a/x', (c) => c.text('open!'))
    app.get('/b', ho.requireRoles as never, (c) => c.text('open!'))
    app.get('/c', ho.requireRoles('admin'), (c) => c.text('open!'))
    served = await serveHono(app)
    const token = await admin()
    const a = await get(`${served.url}/a/x`, token)
    expect(a.status).toBe(500)
    expect(await a.text()).toContain('`authenticate` was given to the framework without being called')
    const b = await get(`${served.url}/b`, token)
    expect(await b.text()).toContain('`requireRoles` was given to the framework without being called')
    const c = await get(`${served.url}/c`, token)
    expect(c.status).toBe(500)
    expect(await c.text()).toContain("requireRoles('admin') ran before authenticate(auth)")
  })

  it('throws at once for a missing Auth', () => {
    expect(() => ho.authenticate(undefined as never)).toThrow(
      /authenticate\(auth\) needs the object createAuth\(\)/,
    )
    expect(() => ho.protect(undefined as never, () => new Response())).toThrow(/protect\(auth/)
    expect(() => ho.authRoutes(undefined as never, {} as never)).toThrow(/authRoutes\(auth, options\)/)
    expect(() => ho.authenticate(auth, { passErrorz: true } as never)).toThrow(/did you mean `passErrors`\?/)
  })
})

describe('fastify: standalone guards', () => {
  it('build their preHandler once per plugin, not on every request', async () => {
    const app = Fastify()
    await app.register(tokenward, { auth })
    const authorize = app.authorize
    let built = 0
    app.authorize = (requirement) => {
      built++
      return authorize(requirement)
    }
    app.get('/admin', { preHandler: fa.requireRoles('admin') }, async () => 'welcome')
    const token = await admin()
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${token}` } })
      expect(res.statusCode).toBe(200)
    }
    expect(built).toBe(1)
    await app.close()
  })

  it('name the missing plugin instead of failing on undefined', async () => {
    const app = Fastify()
    app.get('/admin', { preHandler: fa.requireRoles('admin') }, async () => 'secret')
    const res = await app.inject('/admin')
    expect(res.statusCode).toBe(500)
    expect(res.json().message).toContain('needs the tokenward plugin in this scope')
    await app.close()
  })
})

// One check of a route's requirement for the three adapters that take it as options (kit
// requirementOf): before, Hono's protect checked maxAge only, fetch's authenticateRequest nothing.
describe('a route requirement is checked alike by Fastify config.auth, Hono protect and fetch authenticateRequest', () => {
  it('refuses a role given as a string and a maxAge that is no duration, where the route is declared', async () => {
    const fe = await import('../../src/adapters/fetch.js')
    const request = new Request('http://localhost/x', { headers: { authorization: 'Bearer x' } })
    const handler = () => new Response('ok')
    expect(() => ho.protect(auth, { roles: 'admin' } as never, handler)).toThrow(
      /`roles` must be a list of strings/,
    )
    expect(() => ho.protect(auth, { maxAge: 'soon' } as never, handler)).toThrow(/maxAge of protect/)
    await expect(fe.authenticateRequest(auth, request, { roles: 'admin' } as never)).rejects.toThrow(
      /`roles` must be a list of strings/,
    )
    await expect(fe.authenticateRequest(auth, request, { maxAge: 'soon' } as never)).rejects.toThrow(
      /maxAge of authenticateRequest/,
    )
  })
})
