/**
 * What the adapters share (internal): the synchronous-capable authenticate, the checks that
 * catch wiring mistakes at start-up, the adapter options, optional authentication, CORS preflight,
 * guards, the capped body read, and the error boundary on the framework side — an AuthError is
 * answered (or passed on with `passErrors`), anything else goes to the framework's own error
 * handling (a 500).
 *
 * Each adapter has the same sections in the same order: types → error out → credentials in →
 * guards → auth routes.
 *
 * @internal
 * @packageDocumentation
 */
import { authenticateThen } from '../core/authenticate.js'
import { coreOf, csrfKeysOf } from '../core/context.js'
import type { CookieOptions } from '../core/credentials/cookies.js'
import { AuthError, isAuthError } from '../core/errors.js'
import type { Requirement } from '../core/guards.js'
import { type Duration, toSeconds } from '../core/lib/duration.js'
import { kindOf } from '../core/lib/kind.js'
import { booleanOption, checkNames, cookieOption } from '../core/options/validate.js'
import type { Auth, AuthContext, AuthenticateOptions } from '../core/types/index.js'
import { badRequest, bodyTooLarge } from '../http/body.js'
import { errorResponse } from '../http/response.js'
import type { AuthRouteResponse } from '../http/types.js'

export { authenticateThen }

// --- wiring checks ------------------------------------------------------------------------------------------

/** A mistake in how the app wires tokenward in: the framework answers it as a 500 with this message. */
export class WiringError extends Error {
  override readonly name = 'TokenwardWiringError'
}

/** The object `createAuth` returned, or a `TypeError` naming the call to fix. */
export function checkAuth(auth: unknown, call: string): void {
  const a = auth as Partial<Auth<object, unknown>> | null | undefined
  if (
    typeof a !== 'object' ||
    a === null ||
    typeof a.authenticate !== 'function' ||
    typeof a.authorize !== 'function' ||
    typeof a.verifyAccessToken !== 'function'
  )
    throw new TypeError(
      `tokenward: ${call} needs the object createAuth() returned as its first argument, got ${
        typeof auth === 'object' && auth !== null && !Array.isArray(auth)
          ? 'an object that is not an Auth'
          : kindOf(auth)
      }`,
    )
}

/** True when Express (or Connect) is calling this function as a middleware: `(req, res, next)`. */
export function calledAsMiddleware(args: ArrayLike<unknown>): boolean {
  const req = args[0] as { headers?: unknown; method?: unknown } | null | undefined
  return (
    args.length >= 3 &&
    typeof args[args.length - 1] === 'function' &&
    typeof req === 'object' &&
    req !== null &&
    typeof req.headers === 'object' &&
    typeof req.method === 'string'
  )
}

/** The error for a factory handed to the framework without being called: `use(authenticate)`. */
export function notCalled(name: string, fix: string): WiringError {
  return new WiringError(
    `tokenward: \`${name}\` was given to the framework without being called — write ${fix}, not ${name}`,
  )
}

/** The error for a guard that ran before any `authenticate`. */
export function guardWithoutAuthenticate(guard: string, authenticate: string): WiringError {
  return new WiringError(
    `tokenward: ${guard} ran before ${authenticate}: put ${authenticate} in front of it (the guards only read what authenticate found)`,
  )
}

// --- adapter options -------------------------------------------------------------------------------------

/** Where an adapter finds the token when the app says so (express-jwt's and @fastify/jwt's `getToken`). */
export type TokenLookup<R> = (request: R) => string | null | undefined | Promise<string | null | undefined>

/** The options every adapter's `authenticate` takes. */
export interface CommonAuthenticateOptions<R> {
  optional?: boolean
  cookies?: boolean | CookieOptions
  passErrors?: boolean
  getToken?: TokenLookup<R>
  userProperty?: string | false
}

/** The options, checked, with defaults. */
export interface AdapterSettings<R> {
  optional: boolean
  passErrors: boolean
  getToken: TokenLookup<R> | undefined
  /** Where the user goes (`false`: nowhere but `auth.user`). */
  userProperty: string | false
  /** What `authenticate` is called with: the cookie settings, resolved once. */
  callOptions: AuthenticateOptions | undefined
}

const COMMON_NAMES = ['optional', 'cookies', 'passErrors', 'getToken', 'userProperty'] as const

/** The user property: a non-empty name other than `auth`, or `false`. */
export function userPropertyOf(value: unknown, where: string): string | false {
  if (value === undefined) return 'user'
  if (value === false) return false
  if (typeof value !== 'string' || value.length === 0 || value === 'auth')
    throw new TypeError(
      `tokenward: \`userProperty\` of ${where} must be a property name other than 'auth' (or false)`,
    )
  return value
}

/**
 * Checks an adapter's options at once (unknown names rejected with the closest valid one) and
 * resolves the cookie settings with the Auth's CSRF keys, so no request pays for it.
 */
export function adapterSettings<R>(
  auth: Auth<object, unknown>,
  options: CommonAuthenticateOptions<R> | undefined,
  where: string,
  extra: readonly string[] = [],
): AdapterSettings<R> {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`tokenward: the options of ${where} must be an object`)
  checkNames(options, [...COMMON_NAMES, ...extra], `the options of ${where}`)
  if (options.getToken !== undefined && typeof options.getToken !== 'function')
    throw new TypeError(`tokenward: \`getToken\` of ${where} must be a function (request) => token`)
  return {
    optional: booleanOption(options.optional, 'optional', where) ?? false,
    passErrors: booleanOption(options.passErrors, 'passErrors', where) ?? false,
    getToken: options.getToken,
    userProperty: userPropertyOf(options.userProperty, where),
    callOptions: callOptionsOf(auth, options.cookies),
  }
}

/** The call options `authenticate` gets from an adapter's `cookies` override, resolved once. */
export function callOptionsOf(
  auth: Auth<object, unknown>,
  cookies: boolean | CookieOptions | undefined,
): AuthenticateOptions | undefined {
  if (cookies === undefined) return undefined
  return { cookies: cookieOption(cookies, 'cookies', csrfKeysOf(auth)) ?? false }
}

/**
 * The token the app's `getToken` found, as authenticate input (`{ token }`), or `undefined` to
 * use the default sources (Bearer header, then the access cookie).
 */
export function foundToken(found: unknown): { token: string } | undefined {
  return typeof found === 'string' && found.length > 0 ? { token: found } : undefined
}

/** True for a promise-like value (an async `getToken`). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}

// --- credentials in ---------------------------------------------------------------------------------------

/**
 * A CORS preflight: `OPTIONS` with `Access-Control-Request-Method` (Fetch standard). It carries
 * no credentials, so authenticate lets it through untouched and `cors()` after it can answer.
 */
export function isPreflight(method: string, requestMethod: string | null | undefined): boolean {
  return method === 'OPTIONS' && requestMethod !== undefined && requestMethod !== null
}

/**
 * True for `Authorization: DPoP …`: only then does an adapter build the request URL for the
 * proof's `htu` (RFC 9449 §4.3) — a bearer request pays one character comparison.
 */
export function isDpopScheme(authorization: unknown): boolean {
  if (typeof authorization !== 'string' || authorization.length < 5) return false
  const first = authorization.charCodeAt(0)
  return (first === 68 || first === 100) && /^dpop /i.test(authorization)
}

/**
 * The 401 a guard answers after an optional `authenticate` that found no credentials, in the
 * Auth's realm (the default realm for an Auth that `createAuth` did not make).
 */
export function noCredentials(auth: Auth<object, unknown>): AuthError {
  const realm = coreOf(auth)?.settings.realm
  return new AuthError('token_missing', 'no bearer token was presented', realm === undefined ? {} : { realm })
}

/** With `optional`, no credentials at all lets the request through (invalid ones never do). */
export function passesAsAnonymous(optional: boolean | undefined, err: unknown): boolean {
  return optional === true && isAuthError(err) && err.code === 'token_missing'
}

// --- guards ---------------------------------------------------------------------------------------------

/** `undefined` when the context meets the requirement, else the error to answer. */
export function unmet(
  auth: Auth<object, unknown>,
  ctx: AuthContext<object, unknown>,
  requirement: Requirement | undefined,
): unknown {
  if (!requirement) return undefined
  try {
    auth.authorize(ctx, requirement)
    return undefined
  } catch (err) {
    return err
  }
}

/** Guard arguments: names (strings), never anything else (`requireRoles` handed over uncalled). */
export function checkNamesList(names: readonly unknown[], guard: string): string[] {
  for (const name of names)
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError(`tokenward: ${guard}(…) takes names (non-empty strings), got ${kindOf(name)}`)
  return names as string[]
}

/** How a guard reads in messages: `requireRoles('admin')`. */
export function guardCall(name: string, names: readonly string[]): string {
  return `${name}(${names.map((n) => `'${n}'`).join(', ')})`
}

// --- error out ---------------------------------------------------------------------------------------------

// Body-too-large errors: their answer also closes the connection, so the rest of the body is not read.
const closing = new WeakSet<object>()

/** An answer of the auth routes or of an error as a Fetch `Response` (Hono, tokenward/fetch). */
export function webResponse(answer: AuthRouteResponse): Response {
  const headers = new Headers(answer.headers)
  for (const cookie of answer.cookies) headers.append('Set-Cookie', cookie)
  if (answer.body === undefined) return new Response(null, { status: answer.status, headers })
  headers.set('Content-Type', 'application/json; charset=utf-8')
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers })
}

/**
 * The answer for an error on the framework side of the boundary: an AuthError's own answer, or
 * `undefined` when the error is not the client's (the adapter hands it to the framework: a 500).
 */
export function answerFor(err: unknown): AuthRouteResponse | undefined {
  if (!isAuthError(err)) return undefined
  const answer = errorResponse(err)
  if (closing.has(err)) answer.headers.Connection = 'close'
  return answer
}

// --- auth routes --------------------------------------------------------------------------------------------

/** The 400 for a body over `limit` bytes, answered before the rest is read. */
export function tooLarge(limit: number): Error {
  const err = bodyTooLarge(limit)
  closing.add(err)
  return err
}

/** The declared `Content-Length` already says the body is too large. */
export function declaredTooLarge(contentLength: string | null | undefined, limit: number): boolean {
  if (contentLength === undefined || contentLength === null) return false
  const declared = Number(contentLength)
  return Number.isFinite(declared) && declared > limit
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** A Node readable stream (the request of Express, the payload of Fastify), as far as this reads it. */
export interface NodeStream {
  on(event: string, listener: (arg?: unknown) => void): unknown
  off(event: string, listener: (arg?: unknown) => void): unknown
  pause(): unknown
}

/**
 * Reads a Node request body, counting bytes, and stops at `limit`: a body over it is refused as
 * soon as the limit is passed (400 `invalid_request`), without reading the rest.
 */
export function readNodeBody(stream: NodeStream, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const done = () => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
    }
    const onData = (chunk: unknown) => {
      const bytes = chunk as Uint8Array
      size += bytes.length
      if (size > limit) {
        done()
        stream.pause()
        reject(tooLarge(limit))
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => {
      done()
      resolve(concat(chunks, size))
    }
    const onError = () => {
      done()
      reject(badRequest('the body could not be read'))
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
  })
}

/** Reads a Fetch body stream the same way (Hono on every runtime). */
export async function readWebBody(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>
    try {
      step = await reader.read()
    } catch {
      throw badRequest('the body could not be read')
    }
    if (step.done) return concat(chunks, size)
    size += step.value.byteLength
    if (size > limit) {
      reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(step.value)
  }
}

/**
 * The path the auth routes are served under, as the client sees it: the request path without the
 * part below the prefix (`/api/auth/login` → `/api/auth`), or `fallback` when they do not line up.
 */
export function servedUnder(fullPath: string, below: string, fallback: string): string {
  return below.length > 0 && fullPath.endsWith(below)
    ? fullPath.slice(0, fullPath.length - below.length)
    : fallback
}

/**
 * The `maxAge` of `requireFresh(…)`, in seconds: a duration (`'5m'`) or a number of seconds.
 * A typo fails where the guard is declared, not on the first request.
 */
export function freshSeconds(value: unknown): number {
  if (typeof value !== 'number' && typeof value !== 'string')
    throw new TypeError(
      `tokenward: requireFresh(maxAge) takes a duration such as '5m' or seconds, got ${kindOf(value)}`,
    )
  const seconds = toSeconds(value as Duration, 'requireFresh(maxAge)')
  if (seconds <= 0) throw new TypeError('tokenward: requireFresh(maxAge) must be more than 0 s')
  return seconds
}
