import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import * as ex from '../../src/adapters/express.js'
import tokenward, * as fa from '../../src/adapters/fastify.js'
import * as fe from '../../src/adapters/fetch.js'
import * as ho from '../../src/adapters/hono.js'
import { type Auth, createAuth, type TokenStore } from '../../src/index.js'

export const SECRET = 'adapter-test-secret-at-least-32-bytes!!'

export interface TestUser {
  id: string
  name: string
  roles: string[]
  scope?: string
  passwordHash: string
}

export const USERS: Record<string, TestUser> = {
  ada: {
    id: 'u-ada',
    name: 'Ada',
    roles: ['admin'],
    scope: 'users:read users:write',
    passwordHash: 'secret-hash',
  },
  bob: { id: 'u-bob', name: 'Bob', roles: ['user'], scope: 'users:read', passwordHash: 'secret-hash' },
}
const PASSWORDS: Record<string, string> = { ada: 'ada-password', bob: 'bob-password' }

export function makeAuth(
  options: {
    store?: TokenStore
    now?: () => number
    cookies?: boolean
    resolveUser?: (claims: { sub: string }) => TestUser | null
    onEvent?: (event: { type: string }) => void
  } = {},
): Auth<{ roles: string[]; scope?: string }, TestUser> {
  return createAuth<{ roles: string[]; scope?: string }, TestUser>({
    secret: SECRET,
    roleHierarchy: { admin: ['editor'], editor: ['user'] },
    resolveUser:
      options.resolveUser ?? ((claims) => Object.values(USERS).find((u) => u.id === claims.sub) ?? null),
    ...(options.store ? { store: options.store } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.cookies ? { cookies: true } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  })
}

const defaultRouteOptions = {
  verifyCredentials: (username: string, password: string): TestUser | null =>
    PASSWORDS[username] === password ? USERS[username]! : null,
  rateLimit: { maxPerUsername: 3, window: '1m' as const },
}

export interface RunningApp {
  url: string
  close: () => Promise<void>
}

/** The same app with tokenward/fetch and no framework: a plain `(request) => Response` function. */
function fetchApp(
  auth: Auth<{ roles: string[]; scope?: string }, TestUser>,
  routeOptions: typeof defaultRouteOptions,
): (request: Request, env?: { incoming?: { socket?: { remoteAddress?: string } } }) => Promise<Response> {
  const handle = fe.authHandler(auth, routeOptions)
  const guarded: Record<string, { method: string; requirement: fe.FetchAuthenticateOptions; body?: object }> =
    {
      '/api/me': { method: 'GET', requirement: {} },
      '/api/echo': { method: 'POST', requirement: {}, body: { ok: true } },
      '/admin': { method: 'GET', requirement: { roles: ['admin'] }, body: { admin: true } },
      '/editor': { method: 'GET', requirement: { roles: ['editor'] }, body: { editor: true } },
      '/scoped': { method: 'GET', requirement: { scopes: ['users:write'] }, body: { scoped: true } },
    }
  return async (request, env) => {
    // @hono/node-server hands the Node request over as `env.incoming`: the socket address.
    const answer = await handle(request, env?.incoming?.socket?.remoteAddress)
    if (answer) return answer
    const { pathname } = new URL(request.url)
    if (pathname === '/public') return Response.json({ ok: true })
    if (pathname === '/optional') {
      const result = await fe.authenticateRequest(auth, request, { optional: true })
      if (result instanceof Response) return result
      return Response.json({ sub: result?.claims.sub ?? null })
    }
    const route = guarded[pathname]
    if (!route || route.method !== request.method) return new Response('not found', { status: 404 })
    const ctx = await fe.authenticateRequest(auth, request, route.requirement)
    if (ctx instanceof Response) return ctx
    return Response.json(route.body ?? { sub: ctx.claims.sub, name: ctx.user.name })
  }
}

/**
 * The same protected app on each framework, and with tokenward/fetch alone: /public, /api/* (group
 * protected), /admin, /scoped, /optional.
 */
export async function startApp(
  framework: 'express' | 'fastify' | 'hono' | 'fetch',
  auth: Auth<{ roles: string[]; scope?: string }, TestUser>,
  routeOptions: typeof defaultRouteOptions = defaultRouteOptions,
): Promise<RunningApp> {
  if (framework === 'express') {
    const app = express()
    app.use(ex.authRouter(auth, routeOptions))
    app.get('/public', (_req, res) => {
      res.json({ ok: true })
    })
    app.use('/api', ex.authenticate(auth))
    app.get('/api/me', (req, res) => {
      res.json({ sub: ex.getAuth(req).claims.sub, name: (req.user as TestUser).name })
    })
    app.post('/api/echo', (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/admin', ex.authenticate(auth), ex.requireRoles('admin'), (_req, res) => {
      res.json({ admin: true })
    })
    app.get('/editor', ex.authenticate(auth), ex.requireRoles('editor'), (_req, res) => {
      res.json({ editor: true })
    })
    app.get('/scoped', ex.authenticate(auth), ex.requireScopes('users:write'), (_req, res) => {
      res.json({ scoped: true })
    })
    app.get('/optional', ex.authenticate(auth, { optional: true }), (req, res) => {
      res.json({ sub: req.auth?.claims.sub ?? null })
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    }
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth, routes: routeOptions })
    app.get('/public', async () => ({ ok: true }))
    await app.register(
      async (api) => {
        api.addHook('preHandler', api.authenticate)
        api.get('/me', async (request) => ({
          sub: request.auth!.claims.sub,
          name: (request.user as TestUser).name,
        }))
        api.post('/echo', async () => ({ ok: true }))
      },
      { prefix: '/api' },
    )
    app.get('/admin', { config: { auth: { roles: ['admin'] } } }, async () => ({ admin: true }))
    app.get('/editor', { preHandler: [app.authenticate, fa.requireRoles('editor')] }, async () => ({
      editor: true,
    }))
    app.get('/scoped', { config: { auth: { scopes: ['users:write'] } } }, async () => ({ scoped: true }))
    app.get('/optional', { config: { auth: { optional: true } } }, async (request) => ({
      sub: request.auth?.claims.sub ?? null,
    }))
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url, close: () => app.close() }
  }
  if (framework === 'fetch') {
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: fetchApp(auth, routeOptions), port: 0, hostname: '127.0.0.1' }, () =>
        resolve(s),
      )
    })
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    }
  }
  const app = new Hono<ho.AuthEnv<{ roles: string[]; scope?: string }, TestUser>>()
  app.route('/', ho.authRoutes(auth, routeOptions))
  app.get('/public', (c) => c.json({ ok: true }))
  app.use('/api/*', ho.authenticate(auth))
  app.get('/api/me', (c) => c.json({ sub: c.var.auth.claims.sub, name: c.var.user.name }))
  app.post('/api/echo', (c) => c.json({ ok: true }))
  app.get('/admin', ho.authenticate(auth), ho.requireRoles('admin'), (c) => c.json({ admin: true }))
  app.get('/editor', ho.authenticate(auth), ho.requireRoles('editor'), (c) => c.json({ editor: true }))
  app.get('/scoped', ho.authenticate(auth), ho.requireScopes('users:write'), (c) => c.json({ scoped: true }))
  app.get('/optional', ho.authenticate(auth, { optional: true }), (c) =>
    c.json({ sub: c.var.auth?.claims.sub ?? null }),
  )
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
