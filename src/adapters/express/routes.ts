/** tokenward/express: auth routes (one section of the adapter; src/adapters/express.ts re-exports it). */
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { type Auth, type AuthRouteOptions, type AuthRouteResponse, createAuthRoutes } from '../../index.js'
import { declaredTooLarge, readNodeBody } from '../kit/body.js'
import { tooLarge } from '../kit/errors.js'
import { checkAuth, EXPRESS_CALLS, handedOverUncalled } from '../kit/wiring.js'
import { requestUrl } from './credentials.js'
import { fail, sendAnswer } from './errors.js'

/**
 * The body: the raw one, read at most `limit` bytes (a larger one is refused as soon as it passes
 * the limit); or, when a body parser mounted before the router consumed it, what that parser made
 * of it (a repeated form parameter is then refused the same way).
 */
export function readBody(
  req: Request,
  limit: number,
): Promise<Uint8Array | string | Record<string, unknown> | undefined> {
  if (req.readableEnded) {
    const parsed = req.body as unknown
    if (parsed instanceof Uint8Array || typeof parsed === 'string') return Promise.resolve(parsed)
    if (typeof parsed === 'object' && parsed !== null)
      return Promise.resolve(parsed as Record<string, unknown>)
    return Promise.resolve(undefined)
  }
  if (declaredTooLarge(req.headers['content-length'], limit)) return Promise.reject(tooLarge(limit))
  return readNodeBody(req, limit)
}

/**
 * The auth routes (`POST /auth/login`, `/auth/token`, `/auth/refresh`, `/auth/logout`,
 * `GET /auth/me`, …) as a Router. They are served at <where you mount it><prefix>:
 * `app.use(authRouter(auth, options))` serves `/auth/login`, `app.use('/api', authRouter(…))`
 * serves `/api/auth/login`.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { createAuth } from 'tokenward'
 * import { authRouter } from 'tokenward/express'
 *
 * const users = new Map([['ada', { id: 'u1', passwordHash: '$argon2id$…' }]])
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = express()
 * app.use(authRouter(auth, { findUser: (name) => users.get(name) ?? null }))
 * ```
 */
export function authRouter<C extends object, U, RU = U>(
  auth: Auth<C, U>,
  options: AuthRouteOptions<RU, C>,
): Router
export function authRouter(...args: unknown[]): Router | undefined {
  if (handedOverUncalled(EXPRESS_CALLS, args, 'authRouter', 'app.use(authRouter(auth, { findUser }))'))
    return undefined
  const [auth, options] = args as [Auth<object, unknown>, AuthRouteOptions<unknown, object>]
  checkAuth(auth, 'authRouter(auth, options)')
  const routes = createAuthRoutes(auth, options)
  const router = express.Router()
  const answer = (res: Response, next: NextFunction, pending: Promise<AuthRouteResponse | undefined>) =>
    pending.then(
      (response) => (response ? sendAnswer(res, response) : next()),
      (err: unknown) => fail(res, next, err, false),
    )
  router.use(routes.prefix || '/', function tokenwardAuthRoutes(req, res, next) {
    // Inside this mount, req.path is below the prefix and req.baseUrl is where the client sees it.
    if (!routes.matches(req.method, req.path)) return next()
    answer(
      res,
      next,
      readBody(req, routes.maxBodyBytes).then((body) =>
        routes.handle({
          method: req.method,
          path: req.path,
          headers: req.headers,
          body,
          address: req.socket.remoteAddress,
          basePath: req.baseUrl,
          url: requestUrl(req),
        }),
      ),
    )
  })
  for (const { path } of routes.rootRoutes ?? [])
    router.get(path, function tokenwardWellKnown(req, res, next) {
      answer(res, next, routes.handleRoot({ method: req.method, path, headers: req.headers }))
    })
  return router
}
