/**
 * `tokenward/express`: middleware and auth routes for Express 5 (and 4).
 *
 * Sections, as in the Fastify and Hono adapters: types → error out → credentials in → guards →
 * auth routes (the shared parts are in kit.ts).
 *
 * @packageDocumentation
 */
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express'
import {
  type AccessClaims,
  type Auth,
  type AuthContext,
  AuthError,
  type AuthRouteOptions,
  type AuthRouteResponse,
  type CookieOptions,
  createAuthRoutes,
  type DefaultClaims,
  type Requirement,
} from '../index.js'
import {
  answerFor,
  authenticateThen,
  callOptionsOf,
  MAX_READ_BYTES,
  notAuthenticated,
  passesAsAnonymous,
  unmet,
} from './kit.js'

// --- types ------------------------------------------------------------------------------------------

declare global {
  namespace Express {
    interface Request {
      /** Set by tokenward's `authenticate`: token, claims, user, roles, scopes. Typed access: `getAuth<C, U>(req)`. */
      auth?: AuthContext<object, unknown>
      /** Set by tokenward's `authenticate`: the resolved user (or the claims without a resolver). */
      user?: unknown
    }
  }
}

/** Options of {@link authenticate}. */
export interface ExpressAuthenticateOptions {
  /** No credentials → continue without `req.auth` (present but invalid credentials are still rejected). */
  optional?: boolean
  /** Overrides the `cookies` option of `createAuth`. */
  cookies?: boolean | CookieOptions
  /** Pass errors to `next(err)` (for your own error handler, or {@link authErrorHandler}) instead of answering. */
  passErrors?: boolean
}

// Which Auth authenticated a request, so `requireRoles('admin')` can apply its role hierarchy.
const authOf = new WeakMap<Request, { auth: Auth<object, unknown>; passErrors: boolean }>()

/**
 * `req.auth` with the claims and user types of your `createAuth`.
 *
 * @example
 * ```ts
 * app.get('/me', authenticate(auth), (req, res) => {
 *   const { claims, user } = getAuth<{ roles: string[]; tenant: string }, { name: string }>(req)
 *   res.json({ tenant: claims.tenant, name: user.name })
 * })
 * ```
 */
export function getAuth<C extends object = DefaultClaims, U = AccessClaims<C>>(
  req: Request,
): AuthContext<C, U> {
  if (!req.auth) throw new AuthError('token_missing', 'no bearer token was presented')
  return req.auth as unknown as AuthContext<C, U>
}

// --- error out ------------------------------------------------------------------------------------------

function send(res: Response, answer: AuthRouteResponse): void {
  res.status(answer.status)
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value)
  if (answer.cookies.length > 0) res.append('Set-Cookie', answer.cookies)
  if (answer.body === undefined) res.end()
  else res.json(answer.body)
}

/** An AuthError is answered (or passed on with `passErrors`); anything else goes to `next(err)`: a 500. */
function fail(res: Response, next: (err?: unknown) => void, err: unknown, passErrors: boolean): void {
  const answer = passErrors ? undefined : answerFor(err)
  if (answer) send(res, answer)
  else next(err)
}

/**
 * An error middleware that answers AuthErrors in the standard form (`{ error, message }`, status,
 * `WWW-Authenticate`) and passes other errors on. Use it with `{ passErrors: true }`.
 *
 * @example
 * ```ts
 * app.use('/api', authenticate(auth, { passErrors: true }))
 * app.use(authErrorHandler())
 * ```
 */
export function authErrorHandler(): ErrorRequestHandler {
  return function tokenwardErrorHandler(err, _req, res, next) {
    const answer = answerFor(err)
    if (answer) send(res, answer)
    else next(err)
  }
}

// --- credentials in -----------------------------------------------------------------------------------------

/**
 * Authenticates the request (Bearer header, or the access cookie in cookie mode) and sets
 * `req.auth` and `req.user`. Answers 401/403/503 itself unless `passErrors` is set.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { createAuth } from 'tokenward'
 * import { authenticate } from 'tokenward/express'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = express()
 * app.use('/api', authenticate(auth)) // protect a group of routes (or app.use(authenticate(auth)) for all)
 * app.get('/api/me', (req, res) => {
 *   res.json(req.auth?.claims)
 * })
 * ```
 */
export function authenticate<C extends object, U>(
  auth: Auth<C, U>,
  options: ExpressAuthenticateOptions = {},
): RequestHandler {
  const passErrors = options.passErrors ?? false
  const callOptions = callOptionsOf(options.cookies)
  const accepted = (req: Request, ctx: AuthContext<C, U>, next: NextFunction) => {
    req.auth = ctx as AuthContext<object, unknown>
    req.user = ctx.user
    next()
  }
  const refused = (res: Response, next: NextFunction, err: unknown) => {
    if (passesAsAnonymous(options.optional, err)) next()
    else fail(res, next, err, passErrors)
  }
  return function tokenwardAuthenticate(req, res, next) {
    authOf.set(req, { auth: auth as Auth<object, unknown>, passErrors })
    authenticateThen(
      auth,
      { headers: req.headers, method: req.method },
      callOptions,
      (ctx) => accepted(req, ctx, next),
      (err) => refused(res, next, err),
    )
  }
}

// --- guards ----------------------------------------------------------------------------------------------

function guard(name: string, requirement: Requirement): RequestHandler {
  const middleware: RequestHandler = (req, res, next) => {
    const bound = authOf.get(req)
    if (!req.auth || !bound) return fail(res, next, notAuthenticated(), bound?.passErrors ?? false)
    const err = unmet(bound.auth, req.auth, requirement)
    if (err) return fail(res, next, err, bound.passErrors)
    next()
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return middleware
}

/**
 * 401 unless `authenticate` found credentials (for routes after `{ optional: true }`).
 *
 * @example
 * ```ts
 * app.get('/private', authenticate(auth, { optional: true }), requireAuth(), (req, res) => res.send('hi'))
 * ```
 */
export function requireAuth(): RequestHandler {
  return guard('tokenwardRequireAuth', {})
}

/**
 * Any one of the roles (the role hierarchy applies), or 403 `insufficient_role`.
 *
 * @example
 * ```ts
 * app.get('/admin', authenticate(auth), requireRoles('admin'), (req, res) => res.send('welcome'))
 * ```
 */
export function requireRoles(...roles: string[]): RequestHandler {
  return guard('tokenwardRequireRoles', { roles })
}

/**
 * All of the scopes, or 403 `insufficient_scope` with `WWW-Authenticate … scope="…"`.
 *
 * @example
 * ```ts
 * app.get('/users', authenticate(auth), requireScopes('users:read'), (req, res) => res.json([]))
 * ```
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  return guard('tokenwardRequireScopes', { scopes })
}

/**
 * All of the permissions (the `permissions` claim and `rolePermissions`), or 403 `insufficient_role`.
 *
 * @example
 * ```ts
 * app.delete('/posts/:id', authenticate(auth), requirePermissions('posts:delete'), (req, res) => res.sendStatus(204))
 * ```
 */
export function requirePermissions(...permissions: string[]): RequestHandler {
  return guard('tokenwardRequirePermissions', { permissions })
}

// --- auth routes ------------------------------------------------------------------------------------------

/** Reads the raw body, at most 2 MiB (the core answers 400 for anything over its own limit). */
function readBody(req: Request): Promise<string | Record<string, unknown> | undefined> {
  const parsed = req.body as unknown
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    !Buffer.isBuffer(parsed) &&
    Object.keys(parsed).length > 0
  ) {
    return Promise.resolve(parsed as Record<string, unknown>)
  }
  if (typeof parsed === 'string' && parsed.length > 0) return Promise.resolve(parsed)
  if (req.readableEnded) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_READ_BYTES) {
        req.pause()
        reject(new AuthError('invalid_request', 'the body is too large'))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', () => reject(new AuthError('invalid_request', 'the body could not be read')))
  })
}

/**
 * The auth routes (`POST /auth/login`, `/auth/token`, `/auth/refresh`, `/auth/logout`,
 * `GET /auth/me`) as a Router; mount it with `app.use(authRouter(auth, options))`.
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
): Router {
  const routes = createAuthRoutes(auth, options)
  const router = express.Router()
  router.use(routes.prefix || '/', function tokenwardAuthRoutes(req, res, next) {
    readBody(req)
      .then((body) =>
        routes.handle({
          method: req.method,
          path: req.path,
          headers: req.headers,
          body,
          address: req.socket.remoteAddress,
        }),
      )
      .then(
        (answer) => (answer ? send(res, answer) : next()),
        (err: unknown) => fail(res, next, err, false),
      )
  })
  return router
}
