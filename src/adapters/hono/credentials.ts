/** tokenward/hono: credentials in (one section of the adapter; src/adapters/hono.ts re-exports it). */
import type { Context, MiddlewareHandler, Next } from 'hono'
import { checkNames } from '../../core/options/validate.js'
import type { Auth, AuthContext, CookieOptions, CredentialsInput, Requirement } from '../../index.js'
import {
  authenticateThen,
  isDpopScheme,
  isPreflight,
  passesAsAnonymous,
  withFoundToken,
} from '../kit/credentials.js'
import { requirementOf, unmet } from '../kit/guards.js'
import { adapterSettings, type TokenLookup } from '../kit/options.js'
import { checkAuth, HONO_CALLS, handedOverUncalled } from '../kit/wiring.js'
import { refuse } from './errors.js'
import { type AuthEnv, authOf, type Binding, type HonoAuthenticateOptions } from './types.js'

/**
 * On @hono/node-server the Node request rides along in `c.env.incoming`: its parsed header object
 * is read directly (no Fetch `Headers` lookups). Everywhere else, the Fetch `Request`.
 */
export function honoInput(raw: Request, env: unknown): CredentialsInput {
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
export function preflight(c: Context): boolean {
  return c.req.method === 'OPTIONS' && isPreflight('OPTIONS', c.req.header('access-control-request-method'))
}

/**
 * The credentials of a request: the app's `getToken` first (when given; it may be async), else the
 * Bearer header and the access cookie. Calls `then` with them; a throw of `getToken` goes to Hono's
 * error handling (a 500).
 */
export function withCredentials<R>(
  c: Context,
  getToken: TokenLookup<Context> | undefined,
  then: (input: CredentialsInput) => R,
): R | Promise<R> {
  if (getToken === undefined) return then(honoInput(c.req.raw, c.env))
  return withFoundToken(getToken, c, () => honoInput(c.req.raw, c.env), then, rethrow)
}

const rethrow = (err: unknown): never => {
  throw err
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
  handedOverUncalled(HONO_CALLS, args, 'authenticate', "app.use('/api/*', authenticate(auth))")
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
    if (getToken === undefined) return Promise.resolve(run(c, next, honoInput(c.req.raw, c.env)))
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

export const PROTECT_NAMES = [
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
  const check = requirementOf(requirement, 'protect(auth, options, handler)')
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
      return authenticateThen(auth, honoInput(c.req.raw, c.env), callOptions, (ctx) => run(c, ctx), fail)
    return withCredentials(c as unknown as Context, settings.getToken, (input) =>
      authenticateThen(auth, input, callOptions, (ctx) => run(c, ctx), fail),
    ) as Response | Promise<Response>
  }
}
