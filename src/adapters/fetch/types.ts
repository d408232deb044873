/** tokenward/fetch: types (one section of the adapter; src/adapters/fetch.ts re-exports it). */
import type { AuthRouteOptions, CookieOptions, DefaultClaims, Requirement } from '../../index.js'
import type { TokenLookup } from '../kit/options.js'

/** Options of {@link authHandler}: the route options every adapter takes, nothing more. */
export type FetchAuthRouteOptions<U = unknown, C extends object = DefaultClaims> = AuthRouteOptions<U, C>

/**
 * What {@link authHandler} returns: the answer of an auth route, or `null` when the request is not
 * one (the app answers it). `address` is the client address for the login rate limit — the server
 * knows it, the `Request` does not: `server.requestIP(request)?.address` on Bun,
 * `info.remoteAddr.hostname` on Deno, `request.headers.get('cf-connecting-ip')` on Cloudflare.
 */
export type AuthHandler = (request: Request, address?: string) => Promise<Response | null>

/** Options of {@link authenticateRequest}: what the route needs beyond a valid token, and where the token is. */
export interface FetchAuthenticateOptions extends Requirement {
  /** No credentials → `null` instead of a 401 (present but invalid credentials still get their 401). */
  optional?: boolean
  /** Overrides the `cookies` option of `createAuth`. */
  cookies?: boolean | CookieOptions
  /**
   * Where the token is, when it is not (only) in `Authorization: Bearer`: return it, or
   * `null`/`undefined` to fall back to the Bearer header and the access cookie. A token found here
   * gets no CSRF check.
   */
  getToken?: TokenLookup<Request>
}
