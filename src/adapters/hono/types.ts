/** tokenward/hono: types (one section of the adapter; src/adapters/hono.ts re-exports it). */
import type { Context } from 'hono'
import type {
  AccessClaims,
  Auth,
  AuthContext,
  AuthRouteOptions,
  CookieOptions,
  DefaultClaims,
} from '../../index.js'
import type { TokenLookup } from '../kit/options.js'

/** Where an adapter's `getToken` finds the token: `(request) => token | null | undefined` (may be async). */
export type { TokenLookup } from '../kit/options.js'

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
export const authOf = new WeakMap<Request, Binding>()
export interface Binding {
  auth: Auth<object, unknown>
  passErrors: boolean
}
