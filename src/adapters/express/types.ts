/** tokenward/express: types (one section of the adapter; src/adapters/express.ts re-exports it). */
import type { Request } from 'express'
import {
  type AccessClaims,
  type Auth,
  type AuthContext,
  AuthError,
  type CookieOptions,
  type DefaultClaims,
} from '../../index.js'
import type { TokenLookup } from '../kit/options.js'

/** Where an adapter's `getToken` finds the token: `(request) => token | null | undefined` (may be async). */
export type { TokenLookup } from '../kit/options.js'

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
export const authOf = new WeakMap<Request, Binding>()
export interface Binding {
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
