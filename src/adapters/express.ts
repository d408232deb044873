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
  type CredentialsInput,
  createAuthRoutes,
  type DefaultClaims,
  type Duration,
  type Requirement,
} from '../index.js'
import {
  adapterSettings,
  answerFor,
  authenticateThen,
  calledAsMiddleware,
  checkAuth,
  checkNamesList,
  declaredTooLarge,
  foundToken,
  freshSeconds,
  guardCall,
  guardWithoutAuthenticate,
  isDpopScheme,
  isPreflight,
  isThenable,
  noCredentials,
  notCalled,
  passesAsAnonymous,
  readNodeBody,
  type TokenLookup,
  tooLarge,
  unmet,
} from './kit.js'

// --- types ------------------------------------------------------------------------------------------

/** Where an adapter's `getToken` finds the token: `(request) => token | null | undefined` (may be async). */
export type { TokenLookup } from './kit.js'

declare global {
  namespace Express {
    /** The user type (declared the way passport declares it, so both can be installed). */
    interface User {}
    interface Request {
      /** Set by tokenward's `authenticate`: token, claims, user, roles, scopes. Typed access: `getAuth<C, U>(req)`. */
      auth?: AuthContext<object, unknown>
      /** Set by tokenward's `authenticate` (unless `userProperty` names another): the resolved user, or the claims without a resolver. */
      user?: User | undefined
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
  /**
   * Where the token is, when it is not (only) in `Authorization: Bearer` — a header of your own, a
   * query parameter (RFC 6750 §2.3, off unless you read it here), a body field. Return the token, or
   * `null`/`undefined` to fall back to the Bearer header and the access cookie. A token found here
   * gets no CSRF check (`ctx.source` is `'custom'`).
   */
  getToken?: TokenLookup<Request>
  /**
   * The request property that gets the user (default `'user'`; `false`: none — read
   * `req.auth.user`). Pick another when passport owns `req.user`. `req.auth` is always set.
   */
  userProperty?: string | false
}

// Which Auth authenticated a request (so `requireRoles('admin')` applies its role hierarchy), and
// whether errors are passed on. Set by authenticate; a guard without it is a wiring mistake.
const authOf = new WeakMap<Request, Binding>()
interface Binding {
  auth: Auth<object, unknown>
  passErrors: boolean
}

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
export function authErrorHandler(): ErrorRequestHandler
export function authErrorHandler(...args: unknown[]): ErrorRequestHandler | undefined {
  if (calledAsMiddleware(args)) {
    ;(args[args.length - 1] as NextFunction)(notCalled('authErrorHandler', 'app.use(authErrorHandler())'))
    return undefined
  }
  return function tokenwardErrorHandler(err, _req, res, next) {
    const answer = answerFor(err)
    if (answer) send(res, answer)
    else next(err)
  }
}

// --- credentials in -----------------------------------------------------------------------------------------

/** The URL the client asked for (RFC 9449 `htu`): `trust proxy` decides what protocol and host are. */
function requestUrl(req: Request): string {
  return `${req.protocol}://${req.host}${req.originalUrl}`
}

/** authenticate's input: the headers, the method, and the URL for a DPoP request only. */
function credentialsIn(req: Request): CredentialsInput {
  const url = isDpopScheme(req.headers.authorization) ? requestUrl(req) : undefined
  return { headers: req.headers, method: req.method, url }
}

/**
 * Authenticates the request (Bearer header, or the access cookie in cookie mode, or your
 * `getToken`) and sets `req.auth` and `req.user`. Answers 401/403/503 itself unless `passErrors`
 * is set. A CORS preflight passes through untouched.
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
  options?: ExpressAuthenticateOptions,
): RequestHandler
export function authenticate(...args: unknown[]): RequestHandler | undefined {
  if (calledAsMiddleware(args)) {
    // `app.get('/x', authenticate, handler)`: answer (a 500 naming the fix) instead of hanging.
    ;(args[args.length - 1] as NextFunction)(
      notCalled('authenticate', 'app.get(path, authenticate(auth), handler)'),
    )
    return undefined
  }
  const [auth, options] = args as [Auth<object, unknown>, ExpressAuthenticateOptions | undefined]
  checkAuth(auth, 'authenticate(auth)')
  const { optional, passErrors, getToken, userProperty, callOptions } = adapterSettings(
    auth,
    options,
    'authenticate(auth, options)',
  )
  const binding: Binding = { auth, passErrors }
  const accepted = (req: Request, ctx: AuthContext<object, unknown>, next: NextFunction) => {
    req.auth = ctx
    if (userProperty !== false) (req as unknown as Record<string, unknown>)[userProperty] = ctx.user
    next()
  }
  const refused = (res: Response, next: NextFunction, err: unknown) => {
    if (passesAsAnonymous(optional, err)) next()
    else fail(res, next, err, passErrors)
  }
  const run = (req: Request, res: Response, next: NextFunction, input: CredentialsInput) =>
    authenticateThen(
      auth,
      input,
      callOptions,
      (ctx) => accepted(req, ctx, next),
      (err) => refused(res, next, err),
    )
  const withToken = (req: Request, res: Response, next: NextFunction, found: unknown) =>
    run(req, res, next, foundToken(found) ?? credentialsIn(req))
  return function tokenwardAuthenticate(req, res, next) {
    if (isPreflight(req.method, req.headers['access-control-request-method'])) return next()
    authOf.set(req, binding)
    if (getToken === undefined) {
      run(req, res, next, credentialsIn(req))
      return
    }
    let found: unknown
    try {
      found = getToken(req)
    } catch (err) {
      return next(err) // the app's getToken threw: Express's 500
    }
    if (isThenable(found))
      found.then(
        (token) => withToken(req, res, next, token),
        (err) => next(err),
      )
    else withToken(req, res, next, found)
  }
}

// --- guards ----------------------------------------------------------------------------------------------

function guard(name: string, call: string, requirement: Requirement): RequestHandler {
  const middleware: RequestHandler = (req, res, next) => {
    if (isPreflight(req.method, req.headers['access-control-request-method'])) return next()
    const bound = authOf.get(req)
    if (!bound) return next(guardWithoutAuthenticate(call, 'authenticate(auth)'))
    if (!req.auth) return fail(res, next, noCredentials(bound.auth), bound.passErrors)
    const err = unmet(bound.auth, req.auth, requirement)
    if (err) return fail(res, next, err, bound.passErrors)
    next()
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return middleware
}

/** A guard factory handed to Express uncalled answers a 500 naming the fix (never hangs). */
function guardFactory(
  name: string,
  args: unknown[],
  build: (names: string[]) => RequestHandler,
): RequestHandler {
  if (calledAsMiddleware(args)) {
    const fix = `app.get(path, authenticate(auth), ${name}(…), handler)`
    ;(args[args.length - 1] as NextFunction)(notCalled(name, fix))
    return undefined as unknown as RequestHandler
  }
  return build(checkNamesList(args, name))
}

/**
 * 401 unless `authenticate` found credentials (for routes after `{ optional: true }`).
 *
 * @example
 * ```ts
 * app.get('/private', authenticate(auth, { optional: true }), requireAuth(), (req, res) => res.send('hi'))
 * ```
 */
export function requireAuth(): RequestHandler
export function requireAuth(...args: unknown[]): RequestHandler {
  return guardFactory('requireAuth', args, () => guard('tokenwardRequireAuth', 'requireAuth()', {}))
}

/**
 * Any one of the roles (the role hierarchy applies), or 403 `insufficient_role`.
 *
 * @example
 * ```ts
 * app.get('/admin', authenticate(auth), requireRoles('admin'), (req, res) => res.send('welcome'))
 * ```
 */
export function requireRoles(...roles: string[]): RequestHandler
export function requireRoles(...args: unknown[]): RequestHandler {
  return guardFactory('requireRoles', args, (roles) =>
    guard('tokenwardRequireRoles', guardCall('requireRoles', roles), { roles }),
  )
}

/**
 * All of the scopes, or 403 `insufficient_scope` with `WWW-Authenticate … scope="…"`.
 *
 * @example
 * ```ts
 * app.get('/users', authenticate(auth), requireScopes('users:read'), (req, res) => res.json([]))
 * ```
 */
export function requireScopes(...scopes: string[]): RequestHandler
export function requireScopes(...args: unknown[]): RequestHandler {
  return guardFactory('requireScopes', args, (scopes) =>
    guard('tokenwardRequireScopes', guardCall('requireScopes', scopes), { scopes }),
  )
}

/**
 * All of the permissions (the `permissions` claim and `rolePermissions`), or 403 `insufficient_role`.
 *
 * @example
 * ```ts
 * app.delete('/posts/:id', authenticate(auth), requirePermissions('posts:delete'), (req, res) => res.sendStatus(204))
 * ```
 */
export function requirePermissions(...permissions: string[]): RequestHandler
export function requirePermissions(...args: unknown[]): RequestHandler {
  return guardFactory('requirePermissions', args, (permissions) =>
    guard('tokenwardRequirePermissions', guardCall('requirePermissions', permissions), { permissions }),
  )
}

/**
 * A fresh login: the user authenticated (`auth_time`) at most `maxAge` ago (`'5m'` or seconds),
 * else 401 `insufficient_user_authentication` with RFC 9470's `WWW-Authenticate … max_age=300`
 * — the client sends the user to `POST /auth/reauthenticate` and retries.
 *
 * @example
 * ```ts
 * app.post('/account/email', authenticate(auth), requireFresh('5m'), (req, res) => res.sendStatus(204))
 * ```
 */
export function requireFresh(maxAge: Duration): RequestHandler
export function requireFresh(...args: unknown[]): RequestHandler {
  if (calledAsMiddleware(args)) {
    ;(args[args.length - 1] as NextFunction)(
      notCalled('requireFresh', "app.post(path, authenticate(auth), requireFresh('5m'), handler)"),
    )
    return undefined as unknown as RequestHandler
  }
  const maxAge = freshSeconds(args[0])
  return guard('tokenwardRequireFresh', `requireFresh(${maxAge})`, { maxAge })
}

// --- auth routes ------------------------------------------------------------------------------------------

/**
 * The body: the raw one, read at most `limit` bytes (a larger one is refused as soon as it passes
 * the limit); or, when a body parser mounted before the router consumed it, what that parser made
 * of it (a repeated form parameter is then refused the same way).
 */
function readBody(
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
  if (calledAsMiddleware(args)) {
    ;(args[args.length - 1] as NextFunction)(
      notCalled('authRouter', 'app.use(authRouter(auth, { findUser }))'),
    )
    return undefined
  }
  const [auth, options] = args as [Auth<object, unknown>, AuthRouteOptions<unknown, object>]
  checkAuth(auth, 'authRouter(auth, options)')
  const routes = createAuthRoutes(auth, options)
  const router = express.Router()
  const answer = (res: Response, next: NextFunction, pending: Promise<AuthRouteResponse | undefined>) =>
    pending.then(
      (response) => (response ? send(res, response) : next()),
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
