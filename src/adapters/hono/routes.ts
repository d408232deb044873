/** tokenward/hono: auth routes (one section of the adapter; src/adapters/hono.ts re-exports it). */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { type Auth, type AuthRouteOptions, createAuthRoutes } from '../../index.js'
import { declaredTooLarge, readWebBody, servedUnder } from '../kit/body.js'
import { tooLarge, webResponse } from '../kit/errors.js'
import { checkAuth } from '../kit/wiring.js'
import { authErrorResponse } from './errors.js'
import type { HonoAuthRouteOptions } from './types.js'

export function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress
}

/** The body, read at most `limit` bytes: a larger one is refused as soon as it passes the limit. */
export async function readBody(c: Context, limit: number): Promise<Uint8Array | string | undefined> {
  if (declaredTooLarge(c.req.header('content-length'), limit)) throw tooLarge(limit)
  const raw = c.req.raw
  // A middleware before the routes read it already (Hono keeps that copy).
  if (raw.bodyUsed) return c.req.text()
  if (!raw.body) return undefined
  return readWebBody(raw.body, limit)
}

// The part of the path below the prefix, as a route parameter (it may span segments: `/sessions/x`).
export const BELOW = 'tokenwardPath'

/**
 * The auth routes (`POST /auth/login`, `/auth/token`, `/auth/refresh`, `/auth/logout`,
 * `GET /auth/me`, …) as a sub-app. They are served at <where you mount it><prefix>:
 * `app.route('/', authRoutes(…))` serves `/auth/login`, `app.route('/api', authRoutes(…))` serves
 * `/api/auth/login`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createAuth } from 'tokenward'
 * import { authRoutes } from 'tokenward/hono'
 *
 * const users = new Map([['ada', { id: 'u1', passwordHash: '$argon2id$…' }]])
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = new Hono()
 * app.route('/', authRoutes(auth, { findUser: (name) => users.get(name) ?? null }))
 * ```
 */
export function authRoutes<C extends object, U, RU = U>(
  auth: Auth<C, U>,
  options: HonoAuthRouteOptions<RU, C>,
): Hono {
  checkAuth(auth, 'authRoutes(auth, options)')
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      'tokenward: authRoutes(auth, options) needs options: authRoutes(auth, { findUser: (username) => user or null }), ' +
        'or { verifyCredentials: (username, password) => user or null }',
    )
  const { getAddress, ...routeOptions } = options
  const routes = createAuthRoutes(auth, routeOptions as AuthRouteOptions<RU, C>)
  const app = new Hono()
  app.all(`${routes.prefix}/:${BELOW}{.+}`, async function tokenwardAuthRoutes(c, next) {
    const below = `/${c.req.param(BELOW)}`
    if (!routes.matches(c.req.method, below)) return next()
    let body: Uint8Array | string | undefined
    try {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') body = await readBody(c, routes.maxBodyBytes)
    } catch (err) {
      return authErrorResponse(err)
    }
    const answer = await routes.handle({
      method: c.req.method,
      path: below,
      headers: c.req.raw.headers,
      body,
      address: getAddress ? getAddress(c) : socketAddress(c),
      basePath: servedUnder(c.req.path, below, routes.prefix),
      url: c.req.url,
    })
    return answer ? webResponse(answer) : next()
  })
  for (const { path } of routes.rootRoutes ?? [])
    app.get(path, async function tokenwardWellKnown(c, next) {
      const answer = await routes.handleRoot({ method: c.req.method, path, headers: c.req.raw.headers })
      return answer ? webResponse(answer) : next()
    })
  return app
}
