/**
 * The framework-neutral request and response shapes of the auth routes, and their options.
 * Adapters translate their framework's request into an {@link AuthRouteRequest} and send the
 * {@link AuthRouteResponse} back.
 */
import type { CookieOptions, ResolvedCookies } from '../core/credentials/cookies.js'
import type { Duration } from '../core/lib/duration.js'
import type { ClaimsInput, DefaultClaims, HeadersInput } from '../core/types/index.js'

/** A request as the route handlers see it. */
export interface AuthRouteRequest {
  method: string
  /** The path below the auth prefix: `/login`, `/token`, `/refresh`, `/logout`, `/me`. */
  path: string
  headers: HeadersInput
  /** The raw body (text or bytes), or a body the framework has already parsed into an object. */
  body?: string | Uint8Array | Record<string, unknown> | null | undefined
  /** The socket's remote address (never a header: see `trustProxy`). */
  address?: string | undefined
  /**
   * The request URL as the client sent it: scheme, host and path (a query is ignored). DPoP proofs
   * are checked against it (RFC 9449 `htu`); without it a proof is refused.
   */
  url?: string | undefined
  /**
   * The path the auth routes are served under as the client sees it — where the app mounted them
   * plus the prefix, e.g. `/api/auth` for `app.use('/api', authRouter(…))`. The refresh cookie is
   * scoped to it. Default: the prefix.
   */
  basePath?: string | undefined
}

/** An answer for the adapter to send. */
export interface AuthRouteResponse {
  status: number
  headers: Record<string, string>
  /** `Set-Cookie` values (one header each). */
  cookies: string[]
  /** JSON body, or `undefined` for no body. */
  body: unknown
}

/** Settings of the login rate limit (counted in the TokenStore, so it holds across instances). */
export interface RateLimitOptions {
  /** Window length (default `'15m'`); the window starts at the first failure. */
  window?: Duration
  /** Failed logins per username per window (default 5). */
  maxPerUsername?: number
  /** Failed logins per client address (IPv6: per /64) per window (default 50). */
  maxPerAddress?: number
}

/** Options of the auth routes (`authRouter`, the Fastify `routes` option, `authRoutes`). */
export interface AuthRouteOptions<U = unknown, C extends object = DefaultClaims> {
  /** Finds a user by username (or e-mail); the library checks the password against its hash. */
  findUser?: (username: string) => U | null | undefined | Promise<U | null | undefined>
  /** The user's argon2id hash (default: `user.passwordHash`). */
  passwordHashOf?: (user: U) => string | null | undefined
  /** Instead of `findUser`: check the credentials yourself (you then own the timing of failures). */
  verifyCredentials?: (
    username: string,
    password: string,
  ) => U | null | undefined | Promise<U | null | undefined>
  /** Maps a user to token claims (default: `sub` from `user.id`, plus `roles` / `scope` when present). */
  claimsFor?: (user: U) => ClaimsInput<C> | Promise<ClaimsInput<C>>
  /** Called with a new hash when a login succeeded with a hash made with weaker parameters. */
  updatePasswordHash?: (user: U, newHash: string) => void | Promise<void>
  /** Argon2id parameters for new hashes (re-hash on login); default the OWASP ones. */
  passwordOptions?: { memoryCost?: number; timeCost?: number; parallelism?: number }
  /** What `GET /me` shows of a user (default: the user without `privateFields`). */
  toPublicUser?: (user: unknown) => unknown
  /** Fields never shown by `GET /me` (default `password`, `passwordHash`, `hash`, `salt`). */
  privateFields?: readonly string[]
  /** Route prefix (default `/auth`). */
  prefix?: string
  /** Cookie mode for these routes (default: the `cookies` option of `createAuth`). */
  cookies?: boolean | CookieOptions
  /** Login rate limit; `false` turns it off (not advised). */
  rateLimit?: false | RateLimitOptions
  /**
   * Trust `X-Forwarded-For` from this many proxies in front of the app (`true` = 1). Default: the
   * socket address only, which a client cannot forge.
   */
  trustProxy?: boolean | number
  /** Largest body accepted, bytes (default 16 KiB); a larger one is `invalid_request`. */
  maxBodyBytes?: number
  /** Serve the OpenAPI 3.1 document of these routes at `<prefix>/openapi.json` (default false). */
  openapi?: boolean
}

/** Fields of a parsed JSON or form body. */
export type BodyFields = Record<string, unknown>

/** The auth route handlers for one `Auth`. */
export interface AuthRoutes {
  /** Normalised prefix, e.g. `/auth`. */
  readonly prefix: string
  /** Cookie settings in force for these routes. */
  readonly cookies: ResolvedCookies | undefined
  /** Largest body the routes accept, bytes: adapters stop reading a body there (400 `invalid_request`). */
  readonly maxBodyBytes: number
  /** True when `method` and `path` (below the prefix) are an auth route: adapters read a body only then. */
  matches(method: string, path: string): boolean
  /** Answers one request; `undefined` when the path and method are not an auth route. */
  handle(request: AuthRouteRequest): Promise<AuthRouteResponse | undefined>
  /**
   * Routes served at the ROOT of the app, not under the prefix: `/.well-known/jwks.json` and
   * `/.well-known/oauth-authorization-server` when asymmetric keys are configured (else none).
   */
  readonly rootRoutes: ReadonlyArray<{ method: 'GET'; path: string }>
  /** Answers a root route (`request.path` is the whole path); `undefined` when it is none. */
  handleRoot(request: AuthRouteRequest): Promise<AuthRouteResponse | undefined>
}
