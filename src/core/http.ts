/**
 * Framework-neutral HTTP: the request/response shapes adapters translate to and from, the mapping
 * of errors to answers, and the auth routes (login, token, refresh, logout, me). Adapters only
 * move bytes between their framework and these functions.
 */
import type { AccessClaims, Auth, ClaimsInput, DefaultClaims, TokenPair } from './auth.js'
import {
  type CookieOptions,
  csrfMatches,
  parseCookies,
  type ResolvedCookies,
  resolveCookies,
  setCookie,
} from './cookies.js'
import { type Duration, toSeconds } from './duration.js'
import { AuthError, isAuthError } from './errors.js'
import { randomId } from './tokens.js'

// --- shapes ---------------------------------------------------------------------------------------

/** Request headers as a Fetch `Headers` or a Node-style record (lower-case names). */
export type HeadersInput =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>

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
}

/** The route table, for adapters to register. */
export const AUTH_ROUTES: ReadonlyArray<{ method: 'GET' | 'POST'; path: string }> = [
  { method: 'POST', path: '/login' },
  { method: 'POST', path: '/token' },
  { method: 'POST', path: '/refresh' },
  { method: 'POST', path: '/logout' },
  { method: 'GET', path: '/me' },
]

const DEFAULT_PRIVATE_FIELDS = ['password', 'passwordHash', 'password_hash', 'hash', 'salt']
const MAX_PASSWORD_BYTES = 1024
const MAX_USERNAME_LENGTH = 256
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

// --- helpers shared with adapters --------------------------------------------------------------------

/** Reads one header from either header shape. */
export function getHeader(headers: HeadersInput, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The answer for an error: an {@link AuthError} keeps its status, headers and `{ error, message }`
 * body; anything else is answered as a 503 `store_unavailable` ("fail closed"), never a crash.
 */
export function errorResponse(err: unknown): AuthRouteResponse {
  const e = isAuthError(err)
    ? err
    : new AuthError('store_unavailable', 'the service is temporarily unavailable', { cause: err })
  return { status: e.status, headers: { ...e.headers }, cookies: [], body: e.toJSON() }
}

/**
 * The address a login is counted against: IPv4 as is, IPv6 by its /64 prefix (a client holds a
 * whole /64 and could rotate through it), IPv4-mapped IPv6 as IPv4.
 */
export function rateLimitAddress(address: string | undefined): string {
  if (!address) return 'unknown'
  let a = address.trim().toLowerCase()
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'))
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  if (!a.includes(':')) return a
  const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (mapped) return mapped[1]!
  // Expand `::` and keep the first four hextets.
  const [head = '', tail = ''] = a.split('::', 2) as [string, string?]
  const headParts = head ? head.split(':') : []
  const tailParts = a.includes('::') ? (tail ? tail.split(':') : []) : []
  const missing = 8 - headParts.length - tailParts.length
  const parts = a.includes('::')
    ? [...headParts, ...Array(Math.max(0, missing)).fill('0'), ...tailParts]
    : headParts
  return `${parts
    .slice(0, 4)
    .map((p) => (Number.parseInt(p || '0', 16) || 0).toString(16))
    .join(':')}::/64`
}

/** The client address: the socket's, or with `trustProxy` the one the trusted proxies saw. */
export function clientAddress(
  request: Pick<AuthRouteRequest, 'headers' | 'address'>,
  trustProxy: boolean | number | undefined,
): string {
  const hops = trustProxy === true ? 1 : typeof trustProxy === 'number' ? trustProxy : 0
  if (hops > 0) {
    const forwarded = getHeader(request.headers, 'x-forwarded-for')
    if (forwarded) {
      const chain = forwarded
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      // Each trusted proxy appends the address it saw; entries left of those are client-supplied.
      const picked = chain[chain.length - hops] ?? chain[0]
      if (picked) return picked
    }
  }
  return request.address ?? 'unknown'
}

// --- body parsing --------------------------------------------------------------------------------------

/** Fields of a parsed JSON or form body. */
export type BodyFields = Record<string, unknown>

const badRequest = (message: string) => new AuthError('invalid_request', message)

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? new TextEncoder().encode(body).length : body.length
}

/** Parses a JSON or form body into fields. Bad input is `invalid_request`, never a throw of another kind. */
export function parseBody(request: AuthRouteRequest, maxBytes: number): BodyFields {
  const { body } = request
  if (body === undefined || body === null) return {}
  if (typeof body === 'object' && !(body instanceof Uint8Array)) {
    if (Array.isArray(body)) throw badRequest('the body must be a JSON object')
    return body
  }
  if (byteLength(body) > maxBytes) throw badRequest(`the body is larger than ${maxBytes} bytes`)
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body)
  if (text.trim() === '') return {}
  const type = (getHeader(request.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || type.endsWith('+json')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw badRequest('the body is not valid JSON')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw badRequest('the body must be a JSON object')
    return parsed as BodyFields
  }
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(text)
    const fields: BodyFields = {}
    for (const [name, value] of params) {
      // RFC 6749 §3.2: request parameters must not be included more than once.
      if (Object.hasOwn(fields, name)) throw badRequest(`the parameter ${name.slice(0, 32)} is repeated`)
      fields[name] = value
    }
    return fields
  }
  throw badRequest('the body must be application/json or application/x-www-form-urlencoded')
}

function stringField(fields: BodyFields, name: string, required: true): string
function stringField(fields: BodyFields, name: string, required: false): string | undefined
function stringField(fields: BodyFields, name: string, required: boolean): string | undefined {
  const value = fields[name]
  if (value === undefined || value === null || value === '') {
    if (required) throw badRequest(`the field ${name} is required`)
    return undefined
  }
  if (typeof value !== 'string') throw badRequest(`the field ${name} must be a string`)
  return value
}

// --- the routes --------------------------------------------------------------------------------------------

interface PasswordModule {
  hashPassword(password: string, options?: RouteOptionsAny['passwordOptions']): Promise<string>
  verifyPassword(hash: string, password: string): Promise<boolean>
  needsRehash(hash: string, options?: RouteOptionsAny['passwordOptions']): boolean
}
type RouteOptionsAny = AuthRouteOptions<unknown, object>

let passwordModule: Promise<PasswordModule> | undefined
/** `tokenward/password` is loaded on the first login only: the core stays free of argon2. */
const loadPasswords = (): Promise<PasswordModule> => {
  passwordModule ??= import('../password/index.js') as Promise<PasswordModule>
  return passwordModule
}

function defaultClaimsFor(user: unknown): ClaimsInput<DefaultClaims> {
  const u = (user ?? {}) as Record<string, unknown>
  const id = u.id ?? u.sub ?? u._id
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new TypeError('tokenward: the user has no `id`; give the auth routes a `claimsFor(user)`')
  }
  const claims: ClaimsInput<DefaultClaims> = { sub: String(id) }
  if (Array.isArray(u.roles)) claims.roles = u.roles.filter((r): r is string => typeof r === 'string')
  else if (typeof u.role === 'string') claims.roles = [u.role]
  if (typeof u.scope === 'string') claims.scope = u.scope
  if (Array.isArray(u.permissions))
    claims.permissions = u.permissions.filter((p): p is string => typeof p === 'string')
  return claims
}

function publicUser(user: unknown, privateFields: readonly string[]): unknown {
  if (typeof user !== 'object' || user === null || Array.isArray(user)) return user
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(user)) if (!privateFields.includes(name)) out[name] = value
  return out
}

/** Wraps a failure in an app hook (database down …) as a 503, keeping AuthErrors as they are. */
async function hook<T>(call: () => T | Promise<T>, what: string): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (isAuthError(err)) throw err
    throw new AuthError('store_unavailable', `${what} failed`, { cause: err })
  }
}

/** The auth route handlers for one `Auth`. */
export interface AuthRoutes {
  /** Normalised prefix, e.g. `/auth`. */
  readonly prefix: string
  /** Cookie settings in force for these routes. */
  readonly cookies: ResolvedCookies | undefined
  /** Answers one request; `undefined` when the path and method are not an auth route. */
  handle(request: AuthRouteRequest): Promise<AuthRouteResponse | undefined>
}

/**
 * Builds the framework-neutral auth routes. Adapters mount them (`authRouter`, the Fastify
 * `routes` option, `authRoutes`); you only call this to support another framework.
 *
 * @example
 * ```ts
 * import { createAuth, createAuthRoutes } from 'tokenward'
 *
 * const auth = createAuth({ secret: process.env.JWT_SECRET! })
 * const routes = createAuthRoutes(auth, { findUser: (name) => users.get(name) ?? null })
 * const res = await routes.handle({
 *   method: 'POST',
 *   path: '/login',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ username: 'ada', password: 'correct horse battery staple' }),
 *   address: '127.0.0.1',
 * })
 * ```
 */
export function createAuthRoutes<C extends object, U, RU = U>(
  auth: Auth<C, U>,
  options: AuthRouteOptions<RU, C>,
): AuthRoutes {
  const o = options as unknown as RouteOptionsAny
  if (!o.findUser && !o.verifyCredentials)
    throw new TypeError('tokenward: the auth routes need `findUser` or `verifyCredentials`')
  const prefix = `/${(o.prefix ?? '/auth').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  const cookies = o.cookies === undefined ? auth.settings.cookies : resolveCookies(o.cookies)
  const maxBody = o.maxBodyBytes ?? 16 * 1024
  const privateFields = o.privateFields ?? DEFAULT_PRIVATE_FIELDS
  const limits =
    o.rateLimit === false
      ? undefined
      : {
          window: toSeconds(o.rateLimit?.window ?? '15m', 'rateLimit.window'),
          perUser: o.rateLimit?.maxPerUsername ?? 5,
          perAddress: o.rateLimit?.maxPerAddress ?? 50,
        }
  const store = auth.settings.store
  const claimsFor = (o.claimsFor ?? defaultClaimsFor) as (
    user: unknown,
  ) => ClaimsInput<C> | Promise<ClaimsInput<C>>

  let dummyHash: Promise<string> | undefined
  const getDummyHash = async (passwords: PasswordModule) => {
    dummyHash ??= passwords.hashPassword(`dummy-${randomId()}`, o.passwordOptions)
    return dummyHash
  }

  const storeCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (err) {
      throw new AuthError('store_unavailable', 'the token store is unavailable', { cause: err })
    }
  }

  const tokenResponse = (pair: TokenPair, status = 200): AuthRouteResponse => {
    const response: AuthRouteResponse = {
      status,
      headers: { ...NO_STORE },
      cookies: [],
      body: {
        access_token: pair.accessToken,
        refresh_token: pair.refreshToken,
        token_type: 'bearer',
        expires_in: pair.expiresIn,
        refresh_expires_in: pair.refreshExpiresIn,
      },
    }
    if (cookies) {
      const csrf = randomId()
      response.cookies.push(
        setCookie(cookies, cookies.names.access, pair.accessToken, { maxAge: pair.expiresIn }),
        // The refresh cookie goes only to the auth routes, never to the rest of the app.
        setCookie(cookies, cookies.names.refresh, pair.refreshToken, {
          maxAge: pair.refreshExpiresIn,
          path: prefix || '/',
        }),
        setCookie(cookies, cookies.names.csrf, csrf, { maxAge: pair.refreshExpiresIn, httpOnly: false }),
      )
      ;(response.body as Record<string, unknown>).csrf_token = csrf
    }
    return response
  }

  const clearCookies = (): string[] =>
    cookies
      ? [
          setCookie(cookies, cookies.names.access, '', { maxAge: 0 }),
          setCookie(cookies, cookies.names.refresh, '', { maxAge: 0, path: prefix || '/' }),
          setCookie(cookies, cookies.names.csrf, '', { maxAge: 0, httpOnly: false }),
        ]
      : []

  /** The refresh token from the body, or in cookie mode from the refresh cookie (CSRF-checked). */
  const refreshTokenOf = (request: AuthRouteRequest, fields: BodyFields): string | undefined => {
    const fromBody = stringField(fields, 'refresh_token', false)
    if (fromBody !== undefined) return fromBody
    if (!cookies) return undefined
    const jar = parseCookies(getHeader(request.headers, 'cookie'))
    const fromCookie = jar[cookies.names.refresh]
    if (!fromCookie) return undefined
    if (
      !csrfMatches(
        cookies,
        getHeader(request.headers, 'cookie'),
        getHeader(request.headers, cookies.csrfHeader),
      )
    ) {
      throw new AuthError('csrf_failed', 'a cookie-authenticated request must carry the CSRF header')
    }
    return fromCookie
  }

  const credentialsOf = (request: AuthRouteRequest) => ({
    authorization: getHeader(request.headers, 'authorization'),
    cookie: getHeader(request.headers, 'cookie'),
    method: request.method,
    csrfToken: cookies ? getHeader(request.headers, cookies.csrfHeader) : undefined,
  })

  const login = async (request: AuthRouteRequest, fields: BodyFields): Promise<AuthRouteResponse> => {
    const username = stringField(fields, 'username', false) ?? stringField(fields, 'email', true)
    const password = stringField(fields, 'password', true)
    if (username.length > MAX_USERNAME_LENGTH) throw badRequest('the username is too long')
    if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES)
      throw badRequest('the password is longer than 1024 bytes')
    const address = clientAddress(request, o.trustProxy)
    const userKey = `login:user:${username.toLowerCase()}`
    const addressKey = `login:addr:${rateLimitAddress(address)}`

    if (limits) {
      // Checked before any password work, so a locked-out attacker costs no hashing.
      const [byUser, byAddress] = await storeCall(() =>
        Promise.all([store.hit(userKey, limits.window, 0), store.hit(addressKey, limits.window, 0)]),
      )
      if (byUser >= limits.perUser || byAddress >= limits.perAddress) {
        const reason =
          byAddress >= limits.perAddress
            ? 'too many failed logins from this address'
            : 'too many failed logins for this user'
        auth.emit({ type: 'rate_limited', username, address, reason })
        throw new AuthError('rate_limited', 'too many failed login attempts; try again later', {
          retryAfter: limits.window,
          realm: auth.settings.realm,
        })
      }
    }

    let user: unknown
    let newHash: string | undefined
    if (o.verifyCredentials) {
      user = await hook(() => o.verifyCredentials!(username, password), 'verifyCredentials')
    } else {
      const passwords = await loadPasswords()
      const found = await hook(() => o.findUser!(username), 'findUser')
      const hash = found
        ? o.passwordHashOf
          ? o.passwordHashOf(found)
          : (found as { passwordHash?: unknown }).passwordHash
        : undefined
      if (found && typeof hash === 'string' && hash.length > 0) {
        user = (await passwords.verifyPassword(hash, password)) ? found : undefined
        if (user && o.updatePasswordHash && passwords.needsRehash(hash, o.passwordOptions)) {
          newHash = await passwords.hashPassword(password, o.passwordOptions)
        }
      } else {
        // Same work for an unknown user as for a wrong password: timing reveals no usernames.
        await passwords.verifyPassword(await getDummyHash(passwords), password)
        user = undefined
      }
    }

    if (!user) {
      if (limits) {
        await storeCall(() =>
          Promise.all([store.hit(userKey, limits.window), store.hit(addressKey, limits.window)]),
        )
      }
      auth.emit({ type: 'login_failed', username, address, reason: 'invalid credentials' })
      throw new AuthError('invalid_credentials', 'the username or password is incorrect', {
        realm: auth.settings.realm,
      })
    }
    if (newHash !== undefined) {
      const hash = newHash
      try {
        await o.updatePasswordHash!(user, hash)
      } catch {
        // A failed re-hash must not fail the login; it is retried on the next one.
      }
    }
    const claims = await hook(() => claimsFor(user), 'claimsFor')
    const pair = await auth.issueTokens(claims)
    auth.emit({ type: 'login_succeeded', username, sub: claims.sub, address })
    return tokenResponse(pair)
  }

  const refresh = async (request: AuthRouteRequest, fields: BodyFields): Promise<AuthRouteResponse> => {
    const token = refreshTokenOf(request, fields)
    if (!token) throw badRequest('the field refresh_token is required')
    const pair = await auth.refresh(
      token,
      o.claimsFor ? { claimsFor: o.claimsFor as unknown as (user: U) => ClaimsInput<C> } : undefined,
    )
    return tokenResponse(pair)
  }

  const logout = async (request: AuthRouteRequest, fields: BodyFields): Promise<AuthRouteResponse> => {
    const refreshToken = refreshTokenOf(request, fields)
    let accessError: unknown
    let sub: string | undefined
    try {
      const ctx = await auth.authenticate(credentialsOf(request), {
        cookies: cookies ? (o.cookies ?? true) : false,
      })
      await auth.revoke(ctx.token)
      sub = ctx.claims.sub
    } catch (err) {
      accessError = err
    }
    if (refreshToken) {
      try {
        await auth.revoke(refreshToken)
      } catch (err) {
        if (!isAuthError(err) || err.code === 'store_unavailable') throw err
        if (accessError) throw accessError
      }
    } else if (accessError) {
      throw accessError
    }
    if (sub) auth.emit({ type: 'logout', sub })
    return { status: 204, headers: { ...NO_STORE }, cookies: clearCookies(), body: undefined }
  }

  const me = async (request: AuthRouteRequest): Promise<AuthRouteResponse> => {
    const ctx = await auth.authenticate(credentialsOf(request), {
      cookies: cookies ? (o.cookies ?? true) : false,
    })
    const shown = o.toPublicUser
      ? o.toPublicUser(ctx.user)
      : publicUser(ctx.user as AccessClaims<C> | U, privateFields)
    return { status: 200, headers: { ...NO_STORE }, cookies: [], body: shown }
  }

  return {
    prefix,
    cookies,
    async handle(request) {
      const method = request.method.toUpperCase()
      const path = request.path.replace(/\/+$/, '') || '/'
      const route = AUTH_ROUTES.find((r) => r.path === path)
      if (!route) return undefined
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) return undefined
      try {
        if (path === '/me') return await me(request)
        const fields = parseBody(request, maxBody)
        if (path === '/login') return await login(request, fields)
        if (path === '/refresh') return await refresh(request, fields)
        if (path === '/logout') return await logout(request, fields)
        // /token: the OAuth 2.0 token endpoint (RFC 6749 §4.3 password grant, §6 refresh).
        const grant = stringField(fields, 'grant_type', false) ?? 'password'
        if (grant === 'password') return await login(request, fields)
        if (grant === 'refresh_token') return await refresh(request, fields)
        throw badRequest('grant_type must be password or refresh_token')
      } catch (err) {
        const response = errorResponse(err)
        if (isAuthError(err) && err.code === 'refresh_token_reused') response.cookies.push(...clearCookies())
        return response
      }
    },
  }
}
