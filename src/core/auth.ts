/**
 * `createAuth`: wires the options into keys, token checks, the store and the resolver, and returns
 * the {@link Auth} object every adapter and route handler calls.
 */
import { memoryStore } from '../stores/memory.js'
import type { TokenStore } from '../stores/types.js'
import { VerifiedTokenCache } from './cache.js'
import { checkClaims, RESERVED_CLAIMS, type RegisteredClaims } from './claims.js'
import {
  DEFAULT_ACCESS_TTL,
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_REALM,
  DEFAULT_REFRESH_TTL,
} from './constants.js'
import {
  type CookieOptions,
  csrfMatches,
  parseCookies,
  type ResolvedCookies,
  resolveCookies,
} from './cookies.js'
import { type Duration, toSeconds } from './duration.js'
import { AuthError, isAuthError } from './errors.js'
import { checkRequirement, type Requirement, type RoleHierarchy, rolesOf, scopesOf } from './guards.js'
import { getHeader, type HeadersInput } from './http.js'
import {
  type JSONWebKeySet,
  type KeyOptions,
  type KeySet,
  loadKeySet,
  publicJwks,
  validateKeyOptions,
} from './keys.js'
import {
  checkSignature,
  checkType,
  decodePayload,
  kindOfTyp,
  type ParsedToken,
  parseToken,
  randomId,
  signToken,
  type TokenKind,
} from './tokens.js'

// --- types ---------------------------------------------------------------------------------------

/** Claims an app puts in tokens when it does not declare its own type. */
export interface DefaultClaims {
  /** Roles, checked by `authorize({ roles })` with the role hierarchy. */
  roles?: string[]
  /** OAuth scopes, space-separated (RFC 8693 §4.2). */
  scope?: string
  /** Permissions, checked by `authorize({ permissions })`. */
  permissions?: string[]
  [claim: string]: unknown
}

/** The claims of a verified access token: registered claims plus the app's own. */
export type AccessClaims<C extends object = DefaultClaims> = RegisteredClaims & C

/** What `issueTokens` takes: the subject plus the app's claims. */
export type ClaimsInput<C extends object = DefaultClaims> = { sub: string } & C

/** A Standard Schema v1 validator (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2 …), as far as tokenward needs it. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly value: Output; readonly issues?: undefined }
      | { readonly issues: ReadonlyArray<{ readonly message: string }> }
      | Promise<
          | { readonly value: Output; readonly issues?: undefined }
          | { readonly issues: ReadonlyArray<{ readonly message: string }> }
        >
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/** A newly issued access + refresh token pair. */
export interface TokenPair {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  /** Access token lifetime, seconds. */
  expiresIn: number
  /** Refresh token lifetime, seconds. */
  refreshExpiresIn: number
}

/** Where the credentials of a request came from. */
export type CredentialSource = 'header' | 'cookie'

/** What `authenticate` returns: the token, its claims, the user, and the roles and scopes it grants. */
export interface AuthContext<C extends object = DefaultClaims, U = AccessClaims<C>> {
  /** The access token (never log it). */
  token: string
  claims: AccessClaims<C>
  /** From `resolveUser`; the claims themselves when no resolver is configured. */
  user: U
  roles: string[]
  scopes: string[]
  source: CredentialSource
}

/**
 * Credentials to authenticate: a Fetch `Request`, a raw token string, or the header values an
 * adapter read from its framework's request.
 */
export type CredentialsInput =
  | string
  | Request
  | {
      /** The request headers (Fetch `Headers` or a Node-style record); `authorization`, `cookie` and the CSRF header are read from them. */
      headers: HeadersInput
      /** The HTTP method (cookie mode checks CSRF on unsafe methods). */
      method?: string | undefined
    }
  | {
      /** The `Authorization` header value. */
      authorization?: string | null | undefined
      /** The `Cookie` header value (read only in cookie mode). */
      cookie?: string | null | undefined
      /** The HTTP method (cookie mode checks CSRF on unsafe methods). */
      method?: string | undefined
      /** The CSRF header value (cookie mode). */
      csrfToken?: string | null | undefined
    }

/** An audit event. Never carries a token or a password. */
export type AuthEvent = {
  /** Epoch ms. */
  at: number
} & (
  | { type: 'tokens_issued'; sub: string; fid: string }
  | { type: 'token_refreshed'; sub: string; fid: string }
  | { type: 'refresh_reused'; sub: string; fid: string }
  | { type: 'token_revoked'; sub: string; kind: TokenKind; fid?: string | undefined }
  | { type: 'subject_revoked'; sub: string }
  | { type: 'one_time_token_consumed'; sub: string; purpose: string }
  | { type: 'authentication_failed'; code: string; reason: string }
  | { type: 'login_succeeded'; username: string; sub: string; address: string }
  | { type: 'login_failed'; username: string; address: string; reason: string }
  | { type: 'rate_limited'; username: string; address: string; reason: string }
  | { type: 'logout'; sub: string }
)

/** Options of {@link createAuth}. */
export interface AuthOptions<C extends object = DefaultClaims, U = AccessClaims<C>> extends KeyOptions {
  /** `iss` of issued tokens; when set, tokens with another issuer are rejected. */
  issuer?: string
  /** `aud` of issued tokens; when set, tokens for no listed audience are rejected. */
  audience?: string | string[]
  /** Access token lifetime (default `'15m'`). */
  accessTokenTtl?: Duration
  /** Refresh token lifetime (default `'7d'`). */
  refreshTokenTtl?: Duration
  /** Leeway for `exp`, `nbf` and `iat` between clocks (default `'5s'`). */
  clockTolerance?: Duration
  /** Longest token accepted, in characters (default 8192). Longer input is rejected before any parsing. */
  maxTokenLength?: number
  /** Where revocations and spent tokens live (default `memoryStore()`). */
  store?: TokenStore
  /**
   * Looks the user up from verified claims; `null` rejects the request with `user_not_found`
   * (deleted or inactive users). Runs on every authenticated request — keep it fast.
   */
  resolveUser?: (claims: AccessClaims<C>) => U | null | undefined | Promise<U | null | undefined>
  /** Maps a user to token claims on refresh (and on login through the auth routes). */
  claimsFor?: (
    user: U,
  ) =>
    | (Omit<ClaimsInput<C>, 'sub'> & { sub?: string })
    | Promise<Omit<ClaimsInput<C>, 'sub'> & { sub?: string }>
  /**
   * A Standard Schema (zod, valibot, arktype) run on verified claims; failure is `token_claim_invalid`.
   * Its output becomes the claims, except the registered ones (`exp`, `jti`, `sub`, …), which stay as verified.
   */
  claimsSchema?: StandardSchemaV1
  /** `{ admin: ['editor'], editor: ['user'] }`: roles granted by other roles. */
  roleHierarchy?: RoleHierarchy
  /** `{ editor: ['posts:write'] }`: permissions granted by roles (after the hierarchy). */
  rolePermissions?: RoleHierarchy
  /** Audit hook. Errors it throws are swallowed; it must not block. */
  onEvent?: (event: AuthEvent) => void | Promise<void>
  /** How long a spent refresh token may be presented again without counting as reuse (default 0). */
  reuseGrace?: Duration
  /** Realm named in `WWW-Authenticate` (default `"tokenward"`). */
  realm?: string
  /** Cookie mode: read the access token from a cookie too (with CSRF checks). */
  cookies?: boolean | CookieOptions
  /**
   * Cache of verified access tokens, keyed by the whole token, never outliving `exp`; revocation is
   * still checked on every hit. Default on, 10 000 entries. `false` turns it off.
   */
  cache?: boolean | { maxEntries?: number }
  /** Clock, epoch milliseconds (default `Date.now`). Tests inject one. */
  now?: () => number
}

/** Options of `authenticate` calls (adapters pass their own). */
export interface AuthenticateOptions {
  /** Overrides the `cookies` option of `createAuth` for this call. */
  cookies?: boolean | CookieOptions
}

/** Options of {@link Auth.refresh}. */
export interface RefreshOptions<C extends object, U> {
  /** Overrides `claimsFor` of `createAuth` for this rotation. */
  claimsFor?: AuthOptions<C, U>['claimsFor']
}

/** The object `createAuth` returns. */
export interface Auth<C extends object = DefaultClaims, U = AccessClaims<C>> {
  /** Resolves when every key is imported; rejects with the configuration error if one is bad. */
  ready(): Promise<void>
  /** Issues an access + refresh token pair for a new login (a new token family). */
  issueTokens(claims: ClaimsInput<C>): Promise<TokenPair>
  /** Verifies an access token, including revocation. Throws {@link AuthError}. */
  verifyAccessToken(token: string): Promise<AccessClaims<C>>
  /** Verifies a refresh token, including revocation; does not spend it. Throws {@link AuthError}. */
  verifyRefreshToken(token: string): Promise<AccessClaims<C> & { fid: string }>
  /** Finds the credentials, verifies them and resolves the user. Throws {@link AuthError}. */
  authenticate(input: CredentialsInput, options?: AuthenticateOptions): Promise<AuthContext<C, U>>
  /** Throws 403 {@link AuthError} unless the context meets the requirement. */
  authorize(ctx: Pick<AuthContext<C, U>, 'claims'>, requirement: Requirement): void
  /** Rotates a refresh token: the old one is spent; presenting it again revokes the whole family. */
  refresh(refreshToken: string, options?: RefreshOptions<C, U>): Promise<TokenPair>
  /** Revokes an access token (until its `exp`) or a refresh token (its whole family). */
  revoke(token: string): Promise<void>
  /** Rejects every token of `sub` issued until now ("log out everywhere"). */
  revokeSubject(sub: string): Promise<void>
  /** Issues a single-use token for `purpose` (password reset, e-mail verification …). */
  issueOneTimeToken(
    purpose: string,
    sub: string,
    ttl?: Duration,
    claims?: Record<string, unknown>,
  ): Promise<string>
  /** Spends a one-time token and returns its subject; a second call fails with `token_revoked`. */
  consumeOneTimeToken(token: string, purpose: string): Promise<string>
  /** The public JWK Set of the asymmetric keys (for `/.well-known/jwks.json`). */
  jwks(): JSONWebKeySet
  /** Emits an audit event through `onEvent` (used by the auth routes). */
  emit(event: DistributiveOmit<AuthEvent, 'at'>): void
  /** Empties the verified-token cache. */
  clearCache(): void
  /** The resolved settings, read by adapters and route handlers. */
  readonly settings: AuthSettings
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** Settings with defaults applied (read-only). */
export interface AuthSettings {
  realm: string
  accessTokenTtl: number
  refreshTokenTtl: number
  clockTolerance: number
  cookies: ResolvedCookies | undefined
  store: TokenStore
  /** Clock, epoch ms. */
  now: () => number
}

// --- implementation --------------------------------------------------------------------------------

const AUTHENTICATE_NOW = Symbol.for('tokenward.authenticateNow')

/**
 * For the adapters: authenticates and hands the context to `ok` (or the error to `fail`) in the
 * same turn when nothing on the way is asynchronous (a cached or natively verified token, a
 * synchronous store such as memoryStore, no user lookup), so the request continues without a
 * promise; otherwise once `auth.authenticate` settles. An Auth that `createAuth` did not make (a
 * test double) goes through its own `authenticate`.
 *
 * @internal
 */
export function authenticateThen<C extends object, U, R>(
  auth: Auth<C, U>,
  input: CredentialsInput,
  options: AuthenticateOptions | undefined,
  ok: (ctx: AuthContext<C, U>) => R,
  fail: (err: unknown) => R,
): R | Promise<Awaited<R>> {
  const now = (auth as unknown as Record<symbol, unknown>)[AUTHENTICATE_NOW] as
    | ((
        input: CredentialsInput,
        options?: AuthenticateOptions,
      ) => AuthContext<C, U> | Promise<AuthContext<C, U>>)
    | undefined
  let ctx: AuthContext<C, U> | Promise<AuthContext<C, U>>
  try {
    ctx = now ? now(input, options) : auth.authenticate(input, options)
  } catch (err) {
    return fail(err)
  }
  return ctx instanceof Promise ? (ctx.then(ok, fail) as Promise<Awaited<R>>) : ok(ctx)
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const isSpace = (code: number) => code === 32 || code === 9

/**
 * The token of an `Authorization: Bearer <token>` value (RFC 6750 §2.1: `Bearer` 1*SP b64token,
 * scheme case-insensitive, exactly one token); `undefined` when the scheme is another. Surrounding
 * whitespace is tolerated.
 */
function bearerToken(header: string): string | undefined {
  let start = 0
  let end = header.length
  while (start < end && isSpace(header.charCodeAt(start))) start++
  while (end > start && isSpace(header.charCodeAt(end - 1))) end--
  if (end - start < 6) return undefined
  const scheme = header.slice(start, start + 6)
  if (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer') return undefined
  let i = start + 6
  if (i < end && header.charCodeAt(i) !== 32) return undefined // e.g. "Bearerx" is another scheme
  while (i < end && header.charCodeAt(i) === 32) i++
  const token = header.slice(i, end)
  // Exactly one token. Its characters are checked by the token parser (base64url only, stricter
  // than b64token) — or were, for a token already in the verified-token cache.
  if (i === start + 6 || token.includes(' ') || token.includes('\t'))
    throw new AuthError(
      'token_malformed',
      'the Authorization header must be "Bearer <token>" with exactly one token',
    )
  return token
}

/** Pulls the access token and its source from the input. Throws `token_missing` / `token_malformed`. */
function extractCredentials(
  input: CredentialsInput,
  cookies: ResolvedCookies | undefined,
): {
  token: string
  source: CredentialSource
  method: string | undefined
  csrfToken: string | null | undefined
  cookie: string | null | undefined
} {
  if (typeof input === 'string')
    return { token: input, source: 'header', method: undefined, csrfToken: undefined, cookie: undefined }
  let authorization: string | null | undefined
  let cookie: string | null | undefined
  let method: string | undefined
  let csrfToken: string | null | undefined
  if (typeof input === 'object' && input !== null && typeof (input as Request).headers?.get === 'function') {
    const request = input as Request
    authorization = request.headers.get('authorization')
    cookie = request.headers.get('cookie')
    method = request.method
    csrfToken = cookies ? request.headers.get(cookies.csrfHeader) : undefined
  } else if (typeof input === 'object' && input !== null && 'headers' in input && input.headers) {
    const { headers } = input
    authorization = getHeader(headers, 'authorization')
    cookie = getHeader(headers, 'cookie')
    method = input.method
    csrfToken = cookies ? getHeader(headers, cookies.csrfHeader) : undefined
  } else if (typeof input === 'object' && input !== null) {
    const o = input as {
      authorization?: string | null
      cookie?: string | null
      method?: string
      csrfToken?: string | null
    }
    authorization = o.authorization
    cookie = o.cookie
    method = o.method
    csrfToken = o.csrfToken
  }
  if (typeof authorization === 'string' && authorization.length > 0) {
    const token = bearerToken(authorization)
    if (token !== undefined) return { token, source: 'header', method, csrfToken, cookie }
  }
  if (cookies && cookie) {
    const token = parseCookies(cookie)[cookies.names.access]
    if (token) return { token, source: 'cookie', method, csrfToken, cookie }
  }
  throw new AuthError('token_missing', 'no bearer token was presented')
}

/** Deep-freezes JSON data (claims): cached claims are shared between requests. */
function freeze(value: object): void {
  if (Object.isFrozen(value)) return
  Object.freeze(value)
  for (const name in value) {
    const v = (value as Record<string, unknown>)[name]
    if (typeof v === 'object' && v !== null) freeze(v)
  }
}

/**
 * Creates the auth object: issues, verifies, rotates and revokes tokens.
 *
 * Throws `TypeError` at once for a bad configuration (no key, an HMAC secret shorter than its hash,
 * a malformed duration). Keys are imported once, in the background; `await auth.ready()` to surface
 * a bad PEM or JWK at start-up rather than on the first request.
 *
 * @example
 * ```ts
 * import { createAuth } from 'tokenward'
 *
 * const auth = createAuth({
 *   secret: process.env.JWT_SECRET!, // at least 32 bytes
 *   issuer: 'https://api.example.com',
 *   audience: 'api',
 * })
 * const pair = await auth.issueTokens({ sub: 'u1', roles: ['admin'] })
 * const claims = await auth.verifyAccessToken(pair.accessToken)
 * ```
 */
export function createAuth<C extends object = DefaultClaims, U = AccessClaims<C>>(
  options: AuthOptions<C, U>,
): Auth<C, U> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('tokenward: createAuth needs an options object')
  validateKeyOptions(options)
  const accessTtl = toSeconds(options.accessTokenTtl ?? DEFAULT_ACCESS_TTL, 'accessTokenTtl')
  const refreshTtl = toSeconds(options.refreshTokenTtl ?? DEFAULT_REFRESH_TTL, 'refreshTokenTtl')
  const tolerance = toSeconds(options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE, 'clockTolerance')
  const reuseGrace = toSeconds(options.reuseGrace ?? 0, 'reuseGrace')
  if (accessTtl <= 0 || refreshTtl <= 0) throw new TypeError('tokenward: token lifetimes must be positive')
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH
  const realm = options.realm ?? DEFAULT_REALM
  const audience = options.audience === undefined ? undefined : [options.audience].flat()
  const issuer = options.issuer
  const store = options.store ?? memoryStore({ ...(options.now ? { now: options.now } : {}) })
  const now = options.now ?? Date.now
  const cookies = resolveCookies(options.cookies)
  const cacheOption = options.cache ?? true
  const cache =
    cacheOption === false
      ? undefined
      : new VerifiedTokenCache(
          cacheOption === true ? 10_000 : (cacheOption.maxEntries ?? 10_000),
          options.jwks ? 60_000 : undefined,
        )
  // A family's revocation must outlive every token of the family: no descendant outlives this.
  const familyLifetime = Math.max(accessTtl, refreshTtl) + tolerance

  let keys: KeySet | undefined
  const keysReady = loadKeySet(options).then((k) => {
    keys = k
    return k
  })
  keysReady.catch(() => {}) // surfaced by ready() and by every call; never an unhandled rejection
  const getKeys = (): KeySet | Promise<KeySet> => keys ?? keysReady

  // Monotonic issue time: a token issued in this process after `revokeSubject` always has a later
  // `iat` than the cutoff, even within the same millisecond.
  let lastCutoffMs = 0

  const emit = (event: DistributiveOmit<AuthEvent, 'at'>) => {
    if (!options.onEvent) return
    try {
      const result = options.onEvent({ ...event, at: now() } as AuthEvent)
      if (result && typeof (result as Promise<void>).catch === 'function')
        (result as Promise<void>).catch(() => {})
    } catch {
      // An audit hook must never break authentication.
    }
  }

  // DESIGN.md: a store that fails or times out fails closed with 503.
  const storeFailure = (err: unknown): unknown =>
    isAuthError(err)
      ? err
      : new AuthError('store_unavailable', 'the token store is unavailable', { realm, cause: err })

  const storeCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (err) {
      throw storeFailure(err)
    }
  }

  const withRealm = (err: unknown): unknown => {
    if (isAuthError(err) && err.realm !== realm) {
      return new AuthError(err.code, err.message, {
        realm,
        scope: err.scope,
        retryAfter: err.retryAfter,
        claim: err.claim,
        cause: err.cause,
      })
    }
    return err
  }

  const runSchema = async (claims: Record<string, unknown>): Promise<Record<string, unknown>> => {
    if (!options.claimsSchema) return claims
    const result = await options.claimsSchema['~standard'].validate(claims)
    if (result.issues) {
      const first = result.issues[0]?.message ?? 'invalid claims'
      throw new AuthError('token_claim_invalid', `the token claims were rejected: ${first}`)
    }
    const value = (result.value ?? claims) as Record<string, unknown>
    // The registered claims stay the verified ones: a schema that strips or transforms them must
    // not change what the cache's expiry and the revocation check read (exp, jti, fid, sub, iat).
    const out: Record<string, unknown> = { ...value }
    for (const name of RESERVED_CLAIMS) if (claims[name] !== undefined) out[name] = claims[name]
    return out
  }

  type Verified = Record<string, unknown> & RegisteredClaims

  /**
   * Signature, type and claim checks: everything but revocation. Synchronous on the common path
   * (keys loaded, native verifier, no claims schema), so a request pays for no promise it does
   * not need; any asynchronous step (key import still running, Web Crypto, remote JWKS, a schema)
   * turns the rest into a promise.
   */
  const verifyStateless = (token: string, kind: TokenKind): Verified | Promise<Verified> => {
    if (kind === 'access' && cache) {
      const hit = cache.get(token, now())
      if (hit) return hit as Verified
    }
    const parsed = parseToken(token, maxTokenLength)
    if (keys === undefined)
      return keysReady.then((k) => checkSignature(parsed, k)).then(() => checkPayload(token, parsed, kind))
    const signed = checkSignature(parsed, keys)
    if (signed instanceof Promise) return signed.then(() => checkPayload(token, parsed, kind))
    return checkPayload(token, parsed, kind)
  }

  const checkPayload = (
    token: string,
    parsed: ParsedToken,
    kind: TokenKind,
  ): Verified | Promise<Verified> => {
    checkType(parsed.header, kind)
    const payload = decodePayload(parsed)
    checkClaims(payload, kind, { now: now() / 1000, tolerance, issuer, audience })
    if (options.claimsSchema) return runSchema(payload).then((claims) => remember(token, kind, claims))
    return remember(token, kind, payload)
  }

  const remember = (token: string, kind: TokenKind, claims: Record<string, unknown>): Verified => {
    freeze(claims)
    if (kind === 'access' && cache) cache.set(token, claims, claims.exp as number, now())
    return claims as Verified
  }

  const revokedError = () => new AuthError('token_revoked', 'the token has been revoked', { realm })

  /**
   * Rejects when the token, its family or its subject's cutoff is revoked: one store call.
   * `undefined` when a synchronous store (memoryStore) said "not revoked", so the caller needs no
   * promise; throws synchronously when it said "revoked" or failed.
   */
  const checkRevoked = (claims: Verified): Promise<void> | undefined => {
    let answer: Promise<boolean> | boolean
    try {
      answer = store.isRevoked(claims.fid ? [claims.jti, claims.fid] : [claims.jti], {
        subject: claims.sub,
        issuedAt: claims.iat,
      })
    } catch (err) {
      throw storeFailure(err)
    }
    if (typeof answer === 'boolean') {
      if (answer) throw revokedError()
      return undefined
    }
    return answer.then(
      (revoked) => {
        if (revoked) throw revokedError()
      },
      (err: unknown) => {
        throw storeFailure(err)
      },
    )
  }

  /** Every check, revocation included (one store call). Synchronous when nothing on the way is not. */
  const verifyNow = (token: string, kind: TokenKind): Verified | Promise<Verified> => {
    const revoked = (claims: Verified) => {
      const pending = checkRevoked(claims)
      return pending === undefined ? claims : pending.then(() => claims)
    }
    const stateless = verifyStateless(token, kind)
    return stateless instanceof Promise ? stateless.then(revoked) : revoked(stateless)
  }

  const rejectWithRealm = (err: unknown) => Promise.reject(withRealm(err))

  const verify = (token: string, kind: TokenKind): Promise<Verified> => {
    try {
      const verified = verifyNow(token, kind)
      return verified instanceof Promise ? verified.catch(rejectWithRealm) : Promise.resolve(verified)
    } catch (err) {
      return rejectWithRealm(err)
    }
  }

  const issueAt = (): number => {
    const ms = Math.max(now(), lastCutoffMs + 1)
    return ms / 1000
  }

  const customClaims = (claims: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(claims)) if (!RESERVED_CLAIMS.has(name)) out[name] = value
    return out
  }

  const signPair = async (sub: string, custom: Record<string, unknown>, fid: string): Promise<TokenPair> => {
    const keySet = await getKeys()
    if (!keySet.signing)
      throw new TypeError('tokenward: this configuration is verify-only (no private key to sign with)')
    const iat = issueAt()
    const base = {
      ...(issuer !== undefined ? { iss: issuer } : {}),
      sub,
      ...(options.audience !== undefined ? { aud: options.audience } : {}),
      iat,
    }
    const [accessToken, refreshToken] = await Promise.all([
      signToken(keySet.signing, 'access', {
        ...base,
        exp: Math.floor(iat) + accessTtl,
        jti: randomId(),
        fid,
        ...custom,
      }),
      signToken(keySet.signing, 'refresh', {
        ...base,
        exp: Math.floor(iat) + refreshTtl,
        jti: randomId(),
        fid,
        ...custom,
      }),
    ])
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: accessTtl,
      refreshExpiresIn: refreshTtl,
    }
  }

  const checkSubject = (sub: unknown): string => {
    if (typeof sub !== 'string' || sub.length === 0)
      throw new TypeError('tokenward: claims need a non-empty string `sub`')
    return sub
  }

  const resolveUser = async (claims: AccessClaims<C>): Promise<U> => {
    if (!options.resolveUser) return claims as unknown as U
    let user: U | null | undefined
    try {
      user = await options.resolveUser(claims)
    } catch (err) {
      throw new AuthError('store_unavailable', 'the user lookup failed', { realm, cause: err })
    }
    if (user === null || user === undefined)
      throw new AuthError('user_not_found', 'the user no longer exists or is inactive', { realm })
    return user
  }

  const failed = (err: unknown): unknown => {
    const e = withRealm(err)
    if (isAuthError(e)) emit({ type: 'authentication_failed', code: e.code, reason: e.message })
    return e
  }
  const rethrowFailed = (err: unknown): never => {
    throw failed(err)
  }

  const contextOf = (claims: AccessClaims<C>, user: U, token: string, source: CredentialSource) => ({
    token,
    claims,
    user,
    roles: rolesOf(claims as Record<string, unknown>),
    scopes: scopesOf(claims as Record<string, unknown>),
    source,
  })

  const contextFor = (
    claims: AccessClaims<C>,
    token: string,
    source: CredentialSource,
  ): AuthContext<C, U> | Promise<AuthContext<C, U>> =>
    options.resolveUser
      ? resolveUser(claims).then((user) => contextOf(claims, user, token, source))
      : contextOf(claims, claims as unknown as U, token, source)

  /**
   * `authenticate`, answering synchronously when nothing on the way is asynchronous (a cached or
   * natively verified token, a synchronous store such as memoryStore, no user lookup): adapters
   * then continue the request in the same turn. Throws synchronously or rejects with the
   * AuthError, never both, and emits `authentication_failed` once.
   */
  const authenticateNow = (
    input: CredentialsInput,
    callOptions?: AuthenticateOptions,
  ): AuthContext<C, U> | Promise<AuthContext<C, U>> => {
    let result: AuthContext<C, U> | Promise<AuthContext<C, U>>
    try {
      const cookieSettings =
        callOptions?.cookies === undefined ? cookies : resolveCookies(callOptions.cookies)
      const credentials = extractCredentials(input, cookieSettings)
      if (
        credentials.source === 'cookie' &&
        cookieSettings &&
        UNSAFE_METHODS.has((credentials.method ?? 'GET').toUpperCase()) &&
        !csrfMatches(cookieSettings, credentials.cookie, credentials.csrfToken)
      ) {
        throw new AuthError('csrf_failed', 'a cookie-authenticated request must carry the CSRF header', {
          realm,
        })
      }
      const { token, source } = credentials
      const verified = verifyNow(token, 'access') as AccessClaims<C> | Promise<AccessClaims<C>>
      result =
        verified instanceof Promise
          ? verified.then((claims) => contextFor(claims, token, source))
          : contextFor(verified, token, source)
    } catch (err) {
      throw failed(err)
    }
    return result instanceof Promise ? result.catch(rethrowFailed) : result
  }

  const auth: Auth<C, U> = {
    settings: {
      realm,
      accessTokenTtl: accessTtl,
      refreshTokenTtl: refreshTtl,
      clockTolerance: tolerance,
      cookies,
      store,
      now,
    },

    async ready() {
      await keysReady
    },

    async issueTokens(input) {
      if (typeof input !== 'object' || input === null)
        throw new TypeError('tokenward: issueTokens needs a claims object')
      const sub = checkSubject(input.sub)
      for (const name of Object.keys(input)) {
        if (name !== 'sub' && RESERVED_CLAIMS.has(name))
          throw new TypeError(`tokenward: claim \`${name}\` is set by tokenward`)
      }
      const fid = randomId()
      const pair = await signPair(sub, customClaims(input as Record<string, unknown>), fid)
      emit({ type: 'tokens_issued', sub, fid })
      return pair
    },

    verifyAccessToken(token) {
      return verify(token, 'access') as Promise<AccessClaims<C>>
    },

    verifyRefreshToken(token) {
      return verify(token, 'refresh') as Promise<AccessClaims<C> & { fid: string }>
    },

    async authenticate(input, callOptions) {
      return authenticateNow(input, callOptions)
    },

    authorize(ctx, requirement) {
      const claims = ctx.claims as Record<string, unknown>
      const permissions = Array.isArray(claims.permissions)
        ? claims.permissions.filter((p): p is string => typeof p === 'string')
        : []
      checkRequirement({ roles: rolesOf(claims), scopes: scopesOf(claims), permissions }, requirement, {
        hierarchy: options.roleHierarchy,
        rolePermissions: options.rolePermissions,
        realm,
      })
    },

    async refresh(refreshToken, refreshOptions) {
      let claims: Record<string, unknown> & RegisteredClaims & { fid: string }
      try {
        claims = (await verify(refreshToken, 'refresh')) as typeof claims
      } catch (err) {
        throw withRealm(err)
      }
      const { sub, fid, jti, exp } = claims
      let spent: boolean
      if (reuseGrace > 0) {
        // The grace mark is set by the first attempt and expires `reuseGrace` later; a retry while it
        // lives is a lost response, not a theft.
        const firstAttempt = await storeCall(() =>
          store.consume(`grace:${jti}`, now() / 1000 + reuseGrace, sub),
        )
        spent = !(await storeCall(() => store.consume(jti, exp, sub)))
        if (spent && !firstAttempt) spent = false
      } else {
        spent = !(await storeCall(() => store.consume(jti, exp, sub)))
      }
      if (spent) {
        // RFC 9700 §4.14.2: a spent refresh token came back — one of its holders is an attacker.
        await storeCall(() => store.revoke(fid, now() / 1000 + familyLifetime, sub))
        emit({ type: 'refresh_reused', sub, fid })
        throw new AuthError(
          'refresh_token_reused',
          'the refresh token was already used; its session has been revoked',
          { realm },
        )
      }
      let custom = customClaims(claims)
      const claimsFor = refreshOptions?.claimsFor ?? options.claimsFor
      if (options.resolveUser || claimsFor) {
        let user: U
        try {
          user = await resolveUser(claims as unknown as AccessClaims<C>)
        } catch (err) {
          if (isAuthError(err) && err.code === 'user_not_found') {
            await storeCall(() => store.revoke(fid, now() / 1000 + familyLifetime, sub))
          }
          throw err
        }
        if (claimsFor) custom = customClaims((await claimsFor(user)) as Record<string, unknown>)
      }
      const pair = await signPair(sub, custom, fid)
      emit({ type: 'token_refreshed', sub, fid })
      return pair
    },

    async revoke(token) {
      try {
        const parsed = parseToken(token, maxTokenLength)
        const keySet = await getKeys()
        await checkSignature(parsed, keySet)
        const kind = kindOfTyp(parsed.header.typ)
        if (!kind) throw new AuthError('token_wrong_type', 'only tokens issued by tokenward can be revoked')
        const payload = decodePayload(parsed)
        const sub = typeof payload.sub === 'string' ? payload.sub : undefined
        const jti = typeof payload.jti === 'string' ? payload.jti : undefined
        const exp = typeof payload.exp === 'number' ? payload.exp : undefined
        if (!sub || !jti || exp === undefined)
          throw new AuthError('token_claim_invalid', 'the token lacks sub, jti or exp')
        const fid = typeof payload.fid === 'string' ? payload.fid : undefined
        if (kind === 'refresh' && fid) {
          await storeCall(() => store.revoke(fid, now() / 1000 + familyLifetime, sub))
        } else {
          // An access or one-time token stays revoked until it would have expired anyway.
          if (exp + tolerance <= now() / 1000) return
          await storeCall(() => store.revoke(jti, exp + tolerance, sub))
        }
        emit({ type: 'token_revoked', sub, kind, fid })
      } catch (err) {
        throw withRealm(err)
      }
    },

    async revokeSubject(sub) {
      checkSubject(sub)
      const nowMs = Math.max(now(), lastCutoffMs)
      lastCutoffMs = nowMs
      await storeCall(() => store.setCutoff(sub, nowMs / 1000, nowMs / 1000 + familyLifetime))
      emit({ type: 'subject_revoked', sub })
    },

    async issueOneTimeToken(purpose, sub, ttl = '15m', claims = {}) {
      if (typeof purpose !== 'string' || purpose.length === 0)
        throw new TypeError('tokenward: a one-time token needs a purpose')
      checkSubject(sub)
      const keySet = await getKeys()
      if (!keySet.signing)
        throw new TypeError('tokenward: this configuration is verify-only (no private key to sign with)')
      const iat = issueAt()
      return signToken(keySet.signing, 'one_time', {
        ...customClaims(claims),
        ...(issuer !== undefined ? { iss: issuer } : {}),
        sub,
        ...(options.audience !== undefined ? { aud: options.audience } : {}),
        iat,
        exp: Math.floor(iat) + toSeconds(ttl, 'ttl'),
        jti: randomId(),
        pur: purpose,
      })
    },

    async consumeOneTimeToken(token, purpose) {
      const claims = (await verify(token, 'one_time')) as RegisteredClaims & { pur?: unknown }
      if (claims.pur !== purpose) {
        throw new AuthError('token_claim_invalid', 'the one-time token was issued for another purpose', {
          realm,
          claim: 'pur',
        })
      }
      const first = await storeCall(() => store.consume(claims.jti, claims.exp + tolerance, claims.sub))
      if (!first) throw new AuthError('token_revoked', 'the one-time token has already been used', { realm })
      emit({ type: 'one_time_token_consumed', sub: claims.sub, purpose })
      return claims.sub
    },

    jwks() {
      if (!keys) {
        if (options.jwks) return { keys: [] }
        throw new Error(
          'tokenward: keys are still being imported — `await auth.ready()` before calling jwks()',
        )
      }
      return publicJwks(keys)
    },

    emit,

    clearCache() {
      cache?.clear()
    },
  }
  Object.defineProperty(auth, AUTHENTICATE_NOW, { value: authenticateNow })
  return auth
}
