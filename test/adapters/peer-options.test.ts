// What users migrating from express-jwt, @fastify/jwt and hono/jwt expect, over real HTTP on all
// three frameworks: getToken (guards included), passErrors into the
// framework's own error handling, CORS preflight passing through, the user property, and
// AuthErrors recognised across duplicated package copies.
import express from 'express'
import Fastify, { type FastifyRequest } from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import * as ex from '../../src/adapters/express.js'
import tokenward, * as fa from '../../src/adapters/fastify.js'
import * as ho from '../../src/adapters/hono.js'
import { type Auth, AuthError, createAuth, isAuthError } from '../../src/index.js'
import {
  errorOf,
  FRAMEWORKS,
  type Framework,
  SECRET,
  type Served,
  serveExpress,
  serveFastify,
  serveHono,
} from './serve.js'

type AnyAuth = Auth<object, unknown>
const auth = createAuth({ secret: SECRET })
const tokenOf = async (roles: string[] = ['admin']) =>
  (await auth.issueTokens({ sub: 'ada', roles })).accessToken

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

const call = (path: string, init: RequestInit = {}) => fetch(`${served!.url}${path}`, init)

// --- getToken ---------------------------------------------------------------------------------------------

/** `/api/*` behind authenticate with getToken, `/api/admin` behind a roles guard too. */
async function getTokenApp(
  framework: Framework,
  getToken: (header: string | undefined, query: string | undefined) => unknown,
) {
  if (framework === 'express') {
    const app = express()
    const lookup = (req: express.Request) =>
      getToken(
        req.headers['x-api-token'] as string | undefined,
        req.query.access_token as string | undefined,
      ) as string
    app.use('/api', ex.authenticate(auth, { getToken: lookup }))
    app.get('/api/me', (req, res) => {
      res.json({ sub: req.auth?.claims.sub, source: req.auth?.source })
    })
    app.get('/api/admin', ex.requireRoles('admin'), (_req, res) => {
      res.json({ admin: true })
    })
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    const lookup = (request: FastifyRequest) =>
      getToken(
        request.headers['x-api-token'] as string | undefined,
        (request.query as { access_token?: string }).access_token,
      ) as string
    await app.register(tokenward, { auth, getToken: lookup })
    app.get('/api/me', { config: { auth: true } }, async (request) => ({
      sub: request.auth?.claims.sub,
      source: request.auth?.source,
    }))
    app.get('/api/admin', { preHandler: fa.requireRoles('admin') }, async () => ({ admin: true }))
    return serveFastify(app)
  }
  const app = new Hono()
  const lookup = (c: {
    req: { header(n: string): string | undefined; query(n: string): string | undefined }
  }) => getToken(c.req.header('x-api-token'), c.req.query('access_token')) as string
  app.use('/api/*', ho.authenticate(auth, { getToken: lookup }))
  app.get('/api/me', (c) => {
    const ctx = (c.var as { auth?: { claims: { sub: string }; source: string } }).auth
    return c.json({ sub: ctx?.claims.sub, source: ctx?.source })
  })
  app.get('/api/admin', ho.requireRoles('admin'), (c) => c.json({ admin: true }))
  return serveHono(app)
}

describe.each(FRAMEWORKS)('%s: getToken', (framework) => {
  it('reads the token where the app says, for authenticate and the guards, and falls back to Bearer', async () => {
    served = await getTokenApp(framework, (header) => header)
    const admin = await tokenOf()
    const me = await call('/api/me', { headers: { 'x-api-token': admin } })
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ sub: 'ada', source: 'custom' })
    expect((await call('/api/admin', { headers: { 'x-api-token': admin } })).status).toBe(200)
    const user = await tokenOf(['user'])
    expect((await call('/api/admin', { headers: { 'x-api-token': user } })).status).toBe(403)
    // getToken found nothing: the Bearer header still works.
    expect((await call('/api/me', { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200)
    const bad = await call('/api/me', { headers: { 'x-api-token': 'garbage' } })
    expect(bad.status).toBe(401)
    expect(await errorOf(bad)).toBe('token_malformed')
  })

  it('leaves query tokens off unless the app reads them (RFC 6750 §2.3), and takes an async getToken', async () => {
    const admin = await tokenOf()
    served = await getTokenApp(framework, () => undefined)
    expect((await call(`/api/me?access_token=${admin}`)).status).toBe(401)
    await served.close()
    served = await getTokenApp(framework, async (_header, query) => query)
    const res = await call(`/api/me?access_token=${admin}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'ada', source: 'custom' })
  })
})

// --- passErrors --------------------------------------------------------------------------------------------

async function passErrorsApp(framework: Framework, seen: unknown[]) {
  if (framework === 'express') {
    const app = express()
    app.use('/api', ex.authenticate(auth, { passErrors: true }))
    app.get('/api/admin', ex.requireRoles('admin'), (_req, res) => {
      res.json({ ok: true })
    })
    app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      seen.push(err)
      ex.authErrorHandler()(err, _req, res, next)
    })
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth, passErrors: true })
    app.setErrorHandler((err, _request, reply) => {
      seen.push(err)
      return fa.authErrorReply(reply, err)
    })
    app.get('/api/admin', { config: { auth: { roles: ['admin'] } } }, async () => ({ ok: true }))
    return serveFastify(app)
  }
  const app = new Hono()
  app.onError((err) => {
    seen.push(err)
    return ho.authErrorResponse(err)
  })
  app.use('/api/*', ho.authenticate(auth, { passErrors: true }))
  app.get('/api/admin', ho.requireRoles('admin'), (c) => c.json({ ok: true }))
  return serveHono(app)
}

describe.each(FRAMEWORKS)('%s: passErrors', (framework) => {
  it('hands AuthErrors to the framework’s error handler with status, code and WWW-Authenticate intact', async () => {
    const seen: unknown[] = []
    served = await passErrorsApp(framework, seen)
    const missing = await call('/api/admin')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="tokenward"')
    expect(await missing.json()).toEqual({ error: 'token_missing', message: 'no bearer token was presented' })
    const forbidden = await call('/api/admin', {
      headers: { authorization: `Bearer ${await tokenOf(['user'])}` },
    })
    expect(forbidden.status).toBe(403)
    expect(await errorOf(forbidden)).toBe('insufficient_role')
    expect(seen).toHaveLength(2)
    const [first, second] = seen as AuthError[]
    expect(isAuthError(first)).toBe(true)
    expect(first).toMatchObject({ status: 401, code: 'token_missing' })
    expect(first!.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="tokenward"' })
    expect(second).toMatchObject({ status: 403, code: 'insufficient_role' })
  })
})

// --- CORS preflight ------------------------------------------------------------------------------------------

async function corsApp(framework: Framework) {
  const preflight = {
    'access-control-allow-origin': 'https://app.example',
    'access-control-allow-headers': 'authorization',
  }
  if (framework === 'express') {
    const app = express()
    app.use('/api', ex.authenticate(auth), ex.requireRoles('admin'))
    // cors() after authenticate, as express-jwt users write it.
    app.options('/api/data', (_req, res) => {
      res.set(preflight).sendStatus(204)
    })
    app.get('/api/data', (_req, res) => {
      res.json({ ok: true })
    })
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth, protect: true })
    app.options('/api/data', async (_request, reply) => reply.headers(preflight).code(204).send())
    app.get('/api/data', { config: { auth: { roles: ['admin'] } } }, async () => ({ ok: true }))
    return serveFastify(app)
  }
  const app = new Hono()
  app.use('/api/*', ho.authenticate(auth), ho.requireRoles('admin'))
  app.options('/api/data', (c) => c.body(null, 204, preflight))
  app.get('/api/data', (c) => c.json({ ok: true }))
  return serveHono(app)
}

describe.each(FRAMEWORKS)('%s: CORS preflight', (framework) => {
  it('lets an OPTIONS preflight through authenticate and the guards untouched; a plain OPTIONS is still checked', async () => {
    served = await corsApp(framework)
    const res = await call('/api/data', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect((await call('/api/data', { method: 'OPTIONS' })).status).toBe(401)
    expect((await call('/api/data')).status).toBe(401)
  })
})

// --- the user property ---------------------------------------------------------------------------------------

async function userPropertyApp(framework: Framework, userProperty: string | false) {
  if (framework === 'express') {
    const app = express()
    app.use((req, _res, next) => {
      ;(req as { user?: unknown }).user = 'passport-user' // passport got here first
      next()
    })
    app.get('/me', ex.authenticate(auth, { userProperty }), (req, res) => {
      const r = req as unknown as Record<string, unknown>
      res.json({
        user: r.user,
        account: (r.account as { sub?: string } | undefined)?.sub ?? null,
        auth: req.auth?.claims.sub,
      })
    })
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    app.decorateRequest('user', null) // @fastify/passport got here first
    app.addHook('onRequest', async (request) => {
      ;(request as { user: unknown }).user = 'passport-user'
    })
    await app.register(tokenward, { auth, userProperty })
    app.get('/me', { config: { auth: true } }, async (request) => {
      const r = request as unknown as Record<string, unknown>
      return {
        user: r.user,
        account: (r.account as { sub?: string } | null | undefined)?.sub ?? null,
        auth: request.auth?.claims.sub,
      }
    })
    return serveFastify(app)
  }
  const app = new Hono()
  app.use('*', async (c, next) => {
    c.set('user' as never, 'passport-user' as never)
    await next()
  })
  app.get('/me', ho.authenticate(auth, { userProperty }), (c) => {
    const get = (name: string) => c.get(name as never) as unknown
    return c.json({
      user: get('user'),
      account: (get('account') as { sub?: string } | undefined)?.sub ?? null,
      auth: (get('auth') as { claims: { sub: string } }).claims.sub,
    })
  })
  return serveHono(app)
}

describe.each(FRAMEWORKS)('%s: userProperty', (framework) => {
  it('puts the user where the app says and leaves passport’s user alone (auth stays)', async () => {
    const headers = { authorization: `Bearer ${await tokenOf()}` }
    served = await userPropertyApp(framework, 'account')
    expect(await (await call('/me', { headers })).json()).toEqual({
      user: 'passport-user',
      account: 'ada',
      auth: 'ada',
    })
    await served.close()
    served = await userPropertyApp(framework, false)
    expect(await (await call('/me', { headers })).json()).toEqual({
      user: 'passport-user',
      account: null,
      auth: 'ada',
    })
  })
})

// --- AuthErrors from another copy of tokenward -------------------------------------------------------------

/** The errors module loaded a second time: its AuthError is another class, as with ESM + CJS copies. */
async function foreignAuthError(): Promise<typeof AuthError> {
  const path = '../../src/core/errors.js?second-copy'
  const copy = (await import(/* @vite-ignore */ path)) as { AuthError: typeof AuthError }
  expect(copy.AuthError).not.toBe(AuthError)
  return copy.AuthError
}

async function foreignApp(framework: Framework, failWith: Error) {
  // An Auth whose errors come from the other copy (e.g. the app imports tokenward's CJS build).
  const foreign = { ...auth, authenticate: async () => Promise.reject(failWith) }
  if (framework === 'express') {
    const app = express()
    app.get('/optional', ex.authenticate(foreign as AnyAuth, { optional: true }), (req, res) => {
      res.json({ sub: req.auth?.claims.sub ?? null })
    })
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth: foreign as AnyAuth })
    app.get('/optional', { config: { auth: { optional: true } } }, async (request) => ({
      sub: request.auth?.claims.sub ?? null,
    }))
    return serveFastify(app)
  }
  const app = new Hono()
  app.get('/optional', ho.authenticate(foreign as AnyAuth, { optional: true }), (c) =>
    c.json({ sub: (c.var as { auth?: { claims: { sub: string } } }).auth?.claims.sub ?? null }),
  )
  return serveHono(app)
}

describe.each(FRAMEWORKS)('%s: AuthErrors of another package copy', (framework) => {
  it('lets `optional` pass without credentials and answers an invalid token with its own 401', async () => {
    const Foreign = await foreignAuthError()
    served = await foreignApp(framework, new Foreign('token_missing', 'no bearer token was presented'))
    const anonymous = await call('/optional')
    expect(anonymous.status).toBe(200)
    expect(await anonymous.json()).toEqual({ sub: null })
    await served.close()
    served = await foreignApp(framework, new Foreign('token_expired', 'the token has expired'))
    const expired = await call('/optional')
    expect(expired.status).toBe(401)
    expect(await expired.json()).toEqual({ error: 'token_expired', message: 'the token has expired' })
  })
})

describe('hono: protect() takes getToken and passErrors too', () => {
  it('reads the app’s token for the route and throws AuthErrors to onError when asked', async () => {
    const seen: unknown[] = []
    const app = new Hono()
    app.onError((err) => {
      seen.push(err)
      return ho.authErrorResponse(err)
    })
    app.get(
      '/admin',
      ho.protect(
        auth,
        { roles: ['admin'], getToken: (c) => c.req.header('x-api-token'), passErrors: true },
        (c) => c.json({ sub: (c.var as { auth: { claims: { sub: string } } }).auth.claims.sub }),
      ),
    )
    served = await serveHono(app)
    const ok = await call('/admin', { headers: { 'x-api-token': await tokenOf() } })
    expect(await ok.json()).toEqual({ sub: 'ada' })
    const forbidden = await call('/admin', { headers: { 'x-api-token': await tokenOf(['user']) } })
    expect(forbidden.status).toBe(403)
    expect(seen.map((e) => (e as AuthError).code)).toEqual(['insufficient_role'])
  })
})
