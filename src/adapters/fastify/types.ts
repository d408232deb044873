/** tokenward/fastify: types (one section of the adapter; src/adapters/fastify.ts re-exports it). */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { Auth, AuthContext, AuthRouteOptions, CookieOptions, Requirement } from '../../index.js'
import type { TokenLookup } from '../kit/options.js'

/** Where an adapter's `getToken` finds the token: `(request) => token | null | undefined` (may be async). */
export type { TokenLookup } from '../kit/options.js'

/** Per-route settings: `config: { auth: true }` or `config: { auth: { roles: ['admin'] } }`; `false` opts out of `protect`. */
export type RouteAuthConfig = boolean | (Requirement & { optional?: boolean })

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request is authenticated: token, claims, user, roles, scopes. */
    auth: AuthContext<object, unknown> | null
    /** The resolved user (or the claims without a resolver); see the `userProperty` option. */
    user: unknown
  }
  interface FastifyInstance {
    /** A preHandler that authenticates the request: `{ preHandler: app.authenticate }`. */
    authenticate: preHandlerAsyncHookHandler
    /** A preHandler that authenticates and checks a requirement: `{ preHandler: app.authorize({ roles: ['admin'] }) }`. */
    authorize: (requirement: Requirement) => preHandlerAsyncHookHandler
  }
  interface FastifyContextConfig {
    /** tokenward: authenticate this route (`true`) and check roles / scopes / permissions. */
    auth?: RouteAuthConfig
  }
}

/** Options of the plugin. */
export interface TokenwardFastifyOptions {
  /** The object from `createAuth`. */
  auth: Auth<object, unknown> | Auth<never, never>
  /** Overrides the `cookies` option of `createAuth`. */
  cookies?: boolean | CookieOptions
  /** Every route needs authentication unless its `config.auth` is `false`. */
  protect?: boolean
  /** Registers the auth routes (`/auth/login`, …) with these options, under the register `prefix`. */
  routes?: AuthRouteOptions<never, object> | AuthRouteOptions<unknown, object>
  /**
   * Throw AuthErrors into Fastify's error handling (your `setErrorHandler`; answer them with
   * {@link authErrorReply}) instead of answering them. They keep `status`, `code` and `headers`.
   */
  passErrors?: boolean
  /**
   * Where the token is, when it is not (only) in `Authorization: Bearer` (a header of your own, a
   * query parameter, a body field): return it, or `null`/`undefined` to fall back to the Bearer
   * header and the access cookie. Used by `app.authenticate`, `config.auth` and the guards alike.
   */
  getToken?: TokenLookup<FastifyRequest>
  /**
   * The request decoration that gets the user (default `'user'`; `false`: none — read
   * `request.auth.user`). Pick another when @fastify/passport or @fastify/jwt owns `request.user`.
   */
  userProperty?: string | false
  /** Fastify's own: the auth routes are served under it (`{ prefix: '/api' }` → `/api/auth/login`). */
  prefix?: string
}
