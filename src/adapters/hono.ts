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
  type Requirement,
} from '../index.js'
import {
  answerFor,
  authenticateThen,
  callOptionsOf,
  MAX_READ_BYTES,
  notAuthenticated,
  passesAsAnonymous,
  pathBelow,
  unmet,
} from './kit.js'

// --- types ------------------------------------------------------------------------------------------

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

// Which Auth authenticated a request, so `requireRoles('admin')` can apply its role hierarchy.
const authOf = new WeakMap<Request, Auth<object, unknown>>()

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
 * with their own `app.onError`.
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

// --- credentials in -----------------------------------------------------------------------------------------

/**
 * On @hono/node-server the Node request rides along in `c.env.incoming`: its parsed header object
 * is read directly (no Fetch `Headers` lookups). Everywhere else, the Fetch `Request`.
 */
function credentialsOf(raw: Request, env: unknown): CredentialsInput {
  const incoming = (env as { incoming?: { headers?: unknown; method?: unknown } } | undefined)?.incoming
  const headers = incoming?.headers
  if (typeof headers === 'object' && headers !== null && typeof incoming?.method === 'string')
    return { headers: headers as Record<string, string | string[] | undefined>, method: incoming.method }
  return raw
}

/**
 * Authenticates the request (Bearer header, or the access cookie in cookie mode) and sets
 * `c.var.auth` and `c.var.user`. Answers 401/403/503 itself.
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
  options: HonoAuthenticateOptions = {},
): MiddlewareHandler<AuthEnv<C, U>> {
  const callOptions = callOptionsOf(options.cookies)
  const refused = (c: Context, err: unknown, next: Next) => {
    if (!passesAsAnonymous(options.optional, err)) return authErrorResponse(err)
    authOf.set(c.req.raw, auth as Auth<object, unknown>)
    return next()
  }
  const accepted = (c: Context, ctx: AuthContext<C, U>, next: Next) => {
    authOf.set(c.req.raw, auth as Auth<object, unknown>)
    c.set('auth', ctx)
    c.set('user', ctx.user)
    return next()
  }
  return function tokenwardAuthenticate(c, next) {
    return Promise.resolve(
      authenticateThen(
        auth,
        credentialsOf(c.req.raw, c.env),
        callOptions,
        (ctx) => accepted(c, ctx, next),
        (err) => refused(c, err, next),
      ),
    )
  }
}

/** Options of {@link protect}: what the route needs beyond a valid token. */
export interface HonoProtectOptions extends Requirement {
  /** Per-route cookie mode settings (default: the Auth's). */
  cookies?: boolean | CookieOptions
}

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
  const handler = typeof optionsOrHandler === 'function' ? optionsOrHandler : maybeHandler
  if (typeof handler !== 'function')
    throw new TypeError('tokenward: protect(auth, [options], handler) needs a handler')
  const { cookies, ...requirement } = typeof optionsOrHandler === 'function' ? {} : optionsOrHandler
  const check = requirement.roles || requirement.scopes || requirement.permissions ? requirement : undefined
  const callOptions = callOptionsOf(cookies)
  const run = (c: Context<E>, ctx: AuthContext<C, U>) => {
    const err = unmet(auth as Auth<object, unknown>, ctx as AuthContext<object, unknown>, check)
    if (err) return authErrorResponse(err)
    // No authOf entry: the requirement is checked here, not by a guard middleware.
    const vars = c as unknown as Context<AuthEnv<C, U>>
    vars.set('auth', ctx)
    vars.set('user', ctx.user)
    return handler(c)
  }
  return function tokenwardProtected(c) {
    return authenticateThen(
      auth,
      credentialsOf(c.req.raw, c.env),
      callOptions,
      (ctx) => run(c, ctx),
      authErrorResponse,
    )
  }
}

// --- guards ----------------------------------------------------------------------------------------------

function guard(name: string, requirement: Requirement): MiddlewareHandler {
  const middleware: MiddlewareHandler = async (c, next) => {
    const ctx = c.get('auth') as AuthContext<object, unknown> | undefined
    const auth = authOf.get(c.req.raw)
    if (!ctx || !auth) return authErrorResponse(notAuthenticated())
    const err = unmet(auth, ctx, requirement)
    if (err) return authErrorResponse(err)
    await next()
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return middleware
}

/**
 * Rejects with 401 unless `authenticate` found credentials (for routes after `{ optional: true }`).
 *
 * @example
 * ```ts
 * app.get('/api/private', requireAuth(), (c) => c.text('hi'))
 * ```
 */
export function requireAuth(): MiddlewareHandler {
  return guard('tokenwardRequireAuth', {})
}

/**
 * Needs any one of the roles (the role hierarchy applies): 403 `insufficient_role` otherwise.
 *
 * @example
 * ```ts
 * app.get('/admin', authenticate(auth), requireRoles('admin'), (c) => c.text('welcome'))
 * ```
 */
export function requireRoles(...roles: string[]): MiddlewareHandler {
  return guard('tokenwardRequireRoles', { roles })
}

/**
 * Needs all of the scopes: 403 `insufficient_scope` with `WWW-Authenticate … scope="…"` otherwise.
 *
 * @example
 * ```ts
 * app.get('/users', authenticate(auth), requireScopes('users:read'), (c) => c.json([]))
 * ```
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler {
  return guard('tokenwardRequireScopes', { scopes })
}

/**
 * Needs all of the permissions (from the `permissions` claim and `rolePermissions`).
 *
 * @example
 * ```ts
 * app.delete('/posts/:id', authenticate(auth), requirePermissions('posts:delete'), (c) => c.body(null, 204))
 * ```
 */
export function requirePermissions(...permissions: string[]): MiddlewareHandler {
  return guard('tokenwardRequirePermissions', { permissions })
}

// --- auth routes ------------------------------------------------------------------------------------------

function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress
}

/**
 * The auth routes (`POST /auth/login`, `/auth/token`, `/auth/refresh`, `/auth/logout`,
 * `GET /auth/me`) as a sub-app; mount it with `app.route('/', authRoutes(auth, options))`.
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
  const { getAddress, ...routeOptions } = options
  const routes = createAuthRoutes(auth, routeOptions as AuthRouteOptions<RU, C>)
  const app = new Hono()
  const handler = async (c: Context) => {
    let body: string | undefined
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const declared = Number(c.req.header('content-length') ?? 0)
      if (declared > MAX_READ_BYTES)
        return authErrorResponse(new AuthError('invalid_request', 'the body is too large'))
      body = await c.req.text()
      if (body.length > MAX_READ_BYTES)
        return authErrorResponse(new AuthError('invalid_request', 'the body is too large'))
    }
    const answer = await routes.handle({
      method: c.req.method,
      path: pathBelow(routes.prefix, c.req.path),
      headers: c.req.raw.headers,
      body,
      address: getAddress ? getAddress(c) : socketAddress(c),
    })
    return answer ? toResponse(answer) : c.notFound()
  }
  app.all(`${routes.prefix}/*`, handler)
  return app
}
