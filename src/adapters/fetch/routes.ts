/** tokenward/fetch: auth routes (one section of the adapter; src/adapters/fetch.ts re-exports it). */
import { type Auth, type AuthRouteOptions, createAuthRoutes } from '../../index.js'
import { declaredTooLarge, readWebBody } from '../kit/body.js'
import { tooLarge, webResponse } from '../kit/errors.js'
import { checkAuth } from '../kit/wiring.js'
import { authErrorResponse } from './errors.js'
import type { AuthHandler, FetchAuthRouteOptions } from './types.js'

/** The body, read at most `limit` bytes: a larger one is refused as soon as it passes the limit. */
async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (declaredTooLarge(request.headers.get('content-length'), limit)) throw tooLarge(limit)
  return request.body ? readWebBody(request.body, limit) : undefined
}

/**
 * The auth routes (`POST /auth/login`, `/auth/token`, `/auth/refresh`, `/auth/logout`,
 * `GET /auth/me`, …, and `/.well-known/jwks.json` with asymmetric keys) for a server without a
 * framework: the returned function answers a Fetch `Request` that is one of them, and gives `null`
 * for any other, which the app then answers. The routes are served at `prefix` (default `/auth`)
 * from the root of the URL: for routes under `/api/auth`, pass `prefix: '/api/auth'`.
 *
 * The same routes as the adapters', answered alike. Pass the client address as the second
 * argument for the per-address login rate limit (without it logins are limited per username only).
 *
 * @example
 * ```ts
 * import { createAuth } from 'tokenward'
 * import { authHandler } from 'tokenward/fetch'
 *
 * const users = new Map([['ada', { id: 'u1', passwordHash: '$argon2id$…' }]])
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const handle = authHandler(auth, { findUser: (name) => users.get(name) ?? null })
 *
 * export async function fetch(request: Request): Promise<Response> {
 *   return (await handle(request)) ?? new Response('not found', { status: 404 })
 * }
 * ```
 */
export function authHandler<C extends object, U, RU = U>(
  auth: Auth<C, U>,
  options: FetchAuthRouteOptions<RU, C>,
): AuthHandler {
  checkAuth(auth, 'authHandler(auth, options)')
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      'tokenward: authHandler(auth, options) needs options: authHandler(auth, { findUser: (username) => user or null }), ' +
        'or { verifyCredentials: (username, password) => user or null }',
    )
  const routes = createAuthRoutes(auth, options as AuthRouteOptions<RU, C>)
  const { prefix, maxBodyBytes } = routes
  const rootPaths = new Set(routes.rootRoutes.map((r) => r.path))
  return async function tokenwardAuthHandler(request, address) {
    const path = new URL(request.url).pathname
    const { method } = request
    if (rootPaths.has(path)) {
      const answer = await routes.handleRoot({ method, path, headers: request.headers })
      return answer ? webResponse(answer) : null
    }
    if (!path.startsWith(`${prefix}/`)) return null
    const below = path.slice(prefix.length)
    if (!routes.matches(method, below)) return null
    let body: Uint8Array | undefined
    try {
      if (method !== 'GET' && method !== 'HEAD') body = await readBody(request, maxBodyBytes)
    } catch (err) {
      return authErrorResponse(err)
    }
    const answer = await routes.handle({
      method,
      path: below,
      headers: request.headers,
      body,
      // Only a string: `Bun.serve({ fetch: handle })` would hand over its Server object here.
      address: typeof address === 'string' ? address : undefined,
      basePath: prefix,
      url: request.url,
    })
    return answer ? webResponse(answer) : null
  }
}
