/**
 * `tokenward/hono`: middleware and auth routes for Hono 4. Runtime-neutral — no `node:` imports —
 * so it runs on Node (@hono/node-server), Bun, Deno and edge workers.
 *
 * Sections, as in the Express and Fastify adapters: types → error out → credentials in → guards →
 * auth routes (the shared parts are in kit.ts).
 *
 * @packageDocumentation
 */
import type { Context, MiddlewareHandler, Next } from 'hono'
import { Hono } from 'hono'
import { checkNames } from '../core/options.js'
import {
  type AccessClaims,
  type Auth,
  type AuthContext,
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
  readWebBody,
  servedUnder,
  type TokenLookup,
  tooLarge,
  unmet,
} from './kit.js'

// --- types ------------------------------------------------------------------------------------------

/** Where an adapter's `getToken` finds the token: `(request) => token | null | undefined` (may be async). */
export type { TokenLookup } from './kit.js'

/** The context variables tokenward sets: `c.var.auth` and `c.var.user`. */
export interface AuthVariables<C extends object = DefaultClaims, U = AccessClaims<C>> {
  auth: AuthContext<C, U>
  user: U
}

/** A Hono `Env` with tokenward's typed variables: `new Hono<AuthEnv<Claims, User>>()`. */
export type AuthEnv<C extends object = DefaultClaims, U = AccessClaims<C>> = {
  Variables: AuthVariables<C, U>
}

/** Options of {@link authenticate}. */
export interface HonoAuthenticateOptions {
  /** No credentials → continue without `c.var.auth` (present but invalid credentials are still rejected). */
  optional?: boolean
  /** Overrides the `cookies` option of `createAuth`. */
  cookies?: boolean | CookieOptions
  /**
   * Throw AuthErrors into Hono's error handling (`app.onError`; answer them with
   * {@link authErrorResponse}) instead of answering them. They keep `status`, `code` and `headers`.
   */
  passErrors?: boolean
  /**
   * Where the token is, when it is not (only) in `Authorization: Bearer` (a header of your own, a
   * query parameter, a body field): return it, or `null`/`undefined` to fall back to the Bearer
   * header and the access cookie. A token found here gets no CSRF check (`source` `'custom'`).
   */
  getToken?: TokenLookup<Context>
  /** The context variable that gets the user (default `'user'`; `false`: none — read `c.var.auth.user`). */
  userProperty?: string | false
}

/** Options of {@link authRoutes}: the core route options plus how to find the client address. */
export interface HonoAuthRouteOptions<U = unknown, C extends object = DefaultClaims>
  extends AuthRouteOptions<U, C> {
  /**
   * The client address for rate limiting. Default: the socket address under @hono/node-server.
   * On Bun or Deno pass `(c) => getConnInfo(c).remote.address` from `hono/bun` or `hono/deno`.
   */
  getAddress?: (c: Context) => string | undefined
}

// Which Auth authenticated a request (so `requireRoles('admin')` applies its role hierarchy), and
// whether errors are passed on. Set by authenticate; a guard without it is a wiring mistake.
const authOf = new WeakMap<Request, Binding>()
interface Binding {
  auth: Auth<object, unknown>
  passErrors: boolean
}

/** True when Hono is calling this function as a middleware: `(c, next)`. */
function calledByHono(args: readonly unknown[]): boolean {
  const c = args[0] as { req?: unknown; set?: unknown } | null | undefined
  return (
    args.length === 2 &&
    typeof args[1] === 'function' &&
    typeof c === 'object' &&
    c !== null &&
    typeof c.req === 'object' &&
    typeof c.set === 'function'
  )
}

// --- error out ------------------------------------------------------------------------------------------

function toResponse(answer: AuthRouteResponse): Response {
  const headers = new Headers(answer.headers)
  for (const cookie of answer.cookies) headers.append('Set-Cookie', cookie)
  if (answer.body === undefined) return new Response(null, { status: answer.status, headers })
  headers.set('Content-Type', 'application/json; charset=utf-8')
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers })
}

/**
 * The standard answer for an error (`{ error, message }`, status, `WWW-Authenticate`), for apps
 * with their own `app.onError` (and `passErrors: true`). Anything else is rethrown.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { isAuthError } from 'tokenward'
 * import { authErrorResponse } from 'tokenward/hono'
 *
 * const app = new Hono()
 * app.onError((err, c) => (isAuthError(err) ? authErrorResponse(err) : c.text('oops', 500)))
 * ```
 */
export function authErrorResponse(err: unknown): Response {
  const answer = answerFor(err)
  if (answer) return toResponse(answer)
  // Not the client's doing (the app's callback threw, a bug): Hono's own error handling (onError, a 500).
  throw err
}

/** An AuthError is answered, or with `passErrors` thrown to `app.onError`; anything else is thrown. */
function refuse(err: unknown, passErrors: boolean): Response {
  if (passErrors) throw err
  return authErrorResponse(err)
}

// --- credentials in -----------------------------------------------------------------------------------------

/**
 * On @hono/node-server the Node request rides along in `c.env.incoming`: its parsed header object
 * is read directly (no Fetch `Headers` lookups). Everywhere else, the Fetch `Request`.
 */
function credentialsOf(raw: Request, env: unknown): CredentialsInput {
  const incoming = (env as { incoming?: { headers?: unknown; method?: unknown } } | undefined)?.incoming
  const headers = incoming?.headers
  if (typeof headers === 'object' && headers !== null && typeof incoming?.method === 'string')
    return {
      headers: headers as Record<string, string | string[] | undefined>,
      method: incoming.method,
      // RFC 9449 htu: the URL Hono built from the Host header, for a DPoP request only.
      url: isDpopScheme((headers as { authorization?: unknown }).authorization) ? raw.url : undefined,
    }
  return raw
}

/** A CORS preflight (OPTIONS with `Access-Control-Request-Method`): let through untouched. */
function preflight(c: Context): boolean {
  return c.req.method === 'OPTIONS' && isPreflight('OPTIONS', c.req.header('access-control-request-method'))
}

/**
 * The credentials of a request: the app's `getToken` first (when given; it may be async), else the
 * Bearer header and the access cookie. Calls `then` with them.
 */
function withCredentials<R>(
  c: Context,
  getToken: TokenLookup<Context> | undefined,
  then: (input: CredentialsInput) => R,
): R | Promise<Awaited<R>> {
  if (getToken === undefined) return then(credentialsOf(c.req.raw, c.env))
  const found = getToken(c)
  if (isThenable(found))
    return Promise.resolve(found).then(
      (token) => then(foundToken(token) ?? credentialsOf(c.req.raw, c.env)) as Awaited<R>,
    )
  return then(foundToken(found) ?? credentialsOf(c.req.raw, c.env))
}

/**
 * Authenticates the request (Bearer header, or the access cookie in cookie mode, or your
 * `getToken`) and sets `c.var.auth` and `c.var.user`. Answers 401/403/503 itself unless
 * `passErrors` is set. A CORS preflight passes through untouched.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createAuth } from 'tokenward'
 * import { type AuthEnv, authenticate } from 'tokenward/hono'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = new Hono<AuthEnv>()
 * app.use('/api/*', authenticate(auth))
 * app.get('/api/me', (c) => c.json({ sub: c.var.auth.claims.sub }))
 * ```
 */
export function authenticate<C extends object, U>(
  auth: Auth<C, U>,
  options?: HonoAuthenticateOptions,
): MiddlewareHandler<AuthEnv<C, U>>
export function authenticate(...args: unknown[]): MiddlewareHandler {
  if (calledByHono(args)) throw notCalled('authenticate', "app.use('/api/*', authenticate(auth))")
  const [auth, options] = args as [Auth<object, unknown>, HonoAuthenticateOptions | undefined]
  checkAuth(auth, 'authenticate(auth)')
  const { optional, passErrors, getToken, userProperty, callOptions } = adapterSettings<Context>(
    auth,
    options,
    'authenticate(auth, options)',
  )
  const binding: Binding = { auth, passErrors }
  const refused = (c: Context, err: unknown, next: Next) => {
    if (!passesAsAnonymous(optional, err)) return refuse(err, passErrors)
    authOf.set(c.req.raw, binding)
    return next()
  }
  const accepted = (c: Context, ctx: AuthContext<object, unknown>, next: Next) => {
    authOf.set(c.req.raw, binding)
    c.set('auth', ctx)
    if (userProperty !== false) c.set(userProperty as 'auth', ctx.user as AuthContext<object, unknown>)
    return next()
  }
  const run = (c: Context, next: Next, input: CredentialsInput) =>
    authenticateThen(
      auth,
      input,
      callOptions,
      (ctx) => accepted(c, ctx, next),
      (err) => refused(c, err, next),
    )
  return function tokenwardAuthenticate(c, next) {
    if (preflight(c)) return next()
    if (getToken === undefined) return Promise.resolve(run(c, next, credentialsOf(c.req.raw, c.env)))
    return Promise.resolve(withCredentials(c, getToken, (input) => run(c, next, input)))
  }
}

/** Options of {@link protect}: what the route needs beyond a valid token. */
export interface HonoProtectOptions extends Requirement {
  /** Per-route cookie mode settings (default: the Auth's). */
  cookies?: boolean | CookieOptions
  /** As for {@link authenticate}: throw AuthErrors to `app.onError` instead of answering them. */
  passErrors?: boolean
  /** As for {@link authenticate}: where the token is, when it is not (only) in the Bearer header. */
  getToken?: TokenLookup<Context>
}

const PROTECT_NAMES = [
  'roles',
  'scopes',
  'permissions',
  'maxAge',
  'cookies',
  'passErrors',
  'getToken',
] as const

/**
 * Wraps one route handler so that the route needs authentication (and, optionally, roles, scopes
 * or permissions) — without a middleware. A Hono route with a single handler keeps Hono's fast
 * path: when the token is in the verified-token cache and the store answers synchronously
 * (memoryStore), the handler runs in the same turn. Same answers as `authenticate` + the guards.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createAuth } from 'tokenward'
 * import { type AuthEnv, protect } from 'tokenward/hono'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = new Hono<AuthEnv>()
 * app.get('/me', protect(auth, (c) => c.json({ sub: c.var.auth.claims.sub })))
 * app.get('/admin', protect(auth, { roles: ['admin'] }, (c) => c.text('welcome')))
 * ```
 */
export function protect<C extends object, U, E extends AuthEnv<C, U> = AuthEnv<C, U>>(
  auth: Auth<C, U>,
  handler: (c: Context<E>) => Response | Promise<Response>,
): (c: Context<E>) => Response | Promise<Response>
export function protect<C extends object, U, E extends AuthEnv<C, U> = AuthEnv<C, U>>(
  auth: Auth<C, U>,
  options: HonoProtectOptions,
  handler: (c: Context<E>) => Response | Promise<Response>,
): (c: Context<E>) => Response | Promise<Response>
export function protect<C extends object, U, E extends AuthEnv<C, U> = AuthEnv<C, U>>(
  auth: Auth<C, U>,
  optionsOrHandler: HonoProtectOptions | ((c: Context<E>) => Response | Promise<Response>),
  maybeHandler?: (c: Context<E>) => Response | Promise<Response>,
): (c: Context<E>) => Response | Promise<Response> {
  checkAuth(auth, 'protect(auth, [options], handler)')
  const handler = typeof optionsOrHandler === 'function' ? optionsOrHandler : maybeHandler
  if (typeof handler !== 'function')
    throw new TypeError('tokenward: protect(auth, [options], handler) needs a handler')
  const options = typeof optionsOrHandler === 'function' ? {} : optionsOrHandler
  if (typeof options !== 'object' || options === null)
    throw new TypeError('tokenward: the options of protect(auth, options, handler) must be an object')
  checkNames(options, PROTECT_NAMES, 'the options of protect(auth, options, handler)')
  const { cookies, passErrors, getToken, ...requirement } = options
  const a = auth as Auth<object, unknown>
  const settings = adapterSettings<Context>(
    a,
    { cookies, passErrors, getToken },
    'protect(auth, options, handler)',
  )
  const check = requirement.roles || requirement.scopes || requirement.permissions ? requirement : undefined
  const fail = (err: unknown) => refuse(err, settings.passErrors)
  const run = (c: Context<E>, ctx: AuthContext<C, U>) => {
    const err = unmet(a, ctx as AuthContext<object, unknown>, check)
    if (err) return fail(err)
    // No authOf entry: the requirement is checked here, not by a guard middleware.
    const vars = c as unknown as Context<AuthEnv<C, U>>
    vars.set('auth', ctx)
    vars.set('user', ctx.user)
    return handler(c)
  }
  const { callOptions } = settings
  return function tokenwardProtected(c) {
    if (settings.getToken === undefined)
      return authenticateThen(auth, credentialsOf(c.req.raw, c.env), callOptions, (ctx) => run(c, ctx), fail)
    return withCredentials(c as unknown as Context, settings.getToken, (input) =>
      authenticateThen(auth, input, callOptions, (ctx) => run(c, ctx), fail),
    ) as Response | Promise<Response>
  }
}

// --- guards ----------------------------------------------------------------------------------------------

function guard(name: string, call: string, requirement: Requirement): MiddlewareHandler {
  const middleware: MiddlewareHandler = async (c, next) => {
    if (preflight(c)) return next()
    const bound = authOf.get(c.req.raw)
    if (!bound) throw guardWithoutAuthenticate(call, 'authenticate(auth)')
    const ctx = c.get('auth') as AuthContext<object, unknown> | undefined
    if (!ctx) return refuse(noCredentials(bound.auth), bound.passErrors)
    const err = unmet(bound.auth, ctx, requirement)
    if (err) return refuse(err, bound.passErrors)
    await next()
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return middleware
}

/** A guard factory handed to Hono uncalled (`app.use(requireRoles)`) throws a 500 naming the fix. */
function guardFactory(name: string, args: unknown[], build: (names: string[]) => MiddlewareHandler) {
  if (calledByHono(args)) throw notCalled(name, `app.get(path, ${name}(…), handler) after authenticate(auth)`)
  return build(checkNamesList(args, name))
}

/**
 * Rejects with 401 unless `authenticate` found credentials (for routes after `{ optional: true }`).
 *
 * @example
 * ```ts
 * app.get('/api/private', requireAuth(), (c) => c.text('hi'))
 * ```
 */
export function requireAuth(): MiddlewareHandler
export function requireAuth(...args: unknown[]): MiddlewareHandler {
  return guardFactory('requireAuth', args, () => guard('tokenwardRequireAuth', 'requireAuth()', {}))
}

/**
 * Needs any one of the roles (the role hierarchy applies): 403 `insufficient_role` otherwise.
 *
 * @example
 * ```ts
 * app.get('/admin', authenticate(auth), requireRoles('admin'), (c) => c.text('welcome'))
 * ```
 */
export function requireRoles(...roles: string[]): MiddlewareHandler
export function requireRoles(...args: unknown[]): MiddlewareHandler {
  return guardFactory('requireRoles', args, (roles) =>
    guard('tokenwardRequireRoles', guardCall('requireRoles', roles), { roles }),
  )
}

/**
 * Needs all of the scopes: 403 `insufficient_scope` with `WWW-Authenticate … scope="…"` otherwise.
 *
 * @example
 * ```ts
 * app.get('/users', authenticate(auth), requireScopes('users:read'), (c) => c.json([]))
 * ```
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler
export function requireScopes(...args: unknown[]): MiddlewareHandler {
  return guardFactory('requireScopes', args, (scopes) =>
    guard('tokenwardRequireScopes', guardCall('requireScopes', scopes), { scopes }),
  )
}

/**
 * Needs all of the permissions (from the `permissions` claim and `rolePermissions`).
 *
 * @example
 * ```ts
 * app.delete('/posts/:id', authenticate(auth), requirePermissions('posts:delete'), (c) => c.body(null, 204))
 * ```
 */
export function requirePermissions(...permissions: string[]): MiddlewareHandler
export function requirePermissions(...args: unknown[]): MiddlewareHandler {
  return guardFactory('requirePermissions', args, (permissions) =>
    guard('tokenwardRequirePermissions', guardCall('requirePermissions', permissions), { permissions }),
  )
}

/**
 * A fresh login: the user authenticated (`auth_time`) at most `maxAge` ago (`'5m'` or seconds),
 * else 401 `insufficient_user_authentication` with RFC 9470's `WWW-Authenticate … max_age=300`.
 *
 * @example
 * ```ts
 * app.post('/account/email', authenticate(auth), requireFresh('5m'), (c) => c.body(null, 204))
 * ```
 */
export function requireFresh(maxAge: Duration): MiddlewareHandler
export function requireFresh(...args: unknown[]): MiddlewareHandler {
  if (calledByHono(args))
    throw notCalled('requireFresh', "app.post(path, authenticate(auth), requireFresh('5m'), handler)")
  const maxAge = freshSeconds(args[0])
  return guard('tokenwardRequireFresh', `requireFresh(${maxAge})`, { maxAge })
}

// --- auth routes ------------------------------------------------------------------------------------------

function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress
}

/** The body, read at most `limit` bytes: a larger one is refused as soon as it passes the limit. */
async function readBody(c: Context, limit: number): Promise<Uint8Array | string | undefined> {
  if (declaredTooLarge(c.req.header('content-length'), limit)) throw tooLarge(limit)
  const raw = c.req.raw
  // A middleware before the routes read it already (Hono keeps that copy).
  if (raw.bodyUsed) return c.req.text()
  if (!raw.body) return undefined
  return readWebBody(raw.body, limit)
}

// The part of the path below the prefix, as a route parameter (it may span segments: `/sessions/x`).
const BELOW = 'tokenwardPath'

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
    return answer ? toResponse(answer) : next()
  })
  for (const { path } of routes.rootRoutes ?? [])
    app.get(path, async function tokenwardWellKnown(c, next) {
      const answer = await routes.handleRoot({ method: c.req.method, path, headers: c.req.raw.headers })
      return answer ? toResponse(answer) : next()
    })
  return app
}
