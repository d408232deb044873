/**
 * The adapter kit (internal), credentials in: what every adapter does with a request around
 * `authenticate`. In order: `authenticate` itself (the core's `authenticateThen`, synchronous
 * when it can be), a CORS preflight passing untouched, the DPoP scheme told cheaply, the app's
 * `getToken` answer, and the one failure `optional` lets through.
 *
 * The request path stays allocation-light: an adapter without `getToken` calls `authenticate`
 * directly; {@link withFoundToken} is for the `getToken` path only.
 *
 * @internal
 * @packageDocumentation
 */
import { authenticateThen } from '../../core/authenticate.js'
import { isAuthError } from '../../core/errors.js'
import type { CredentialsInput } from '../../core/types/index.js'
import type { TokenLookup } from './options.js'

export { authenticateThen }

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
 * The token the app's `getToken` found, as authenticate input (`{ token }`), or `undefined` to
 * use the default sources (Bearer header, then the access cookie).
 */
export function foundToken(found: unknown): { token: string } | undefined {
  return typeof found === 'string' && found.length > 0 ? { token: found } : undefined
}

/** True for a promise-like value (an async `getToken`). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}

/**
 * Hands `then` authenticate's input for a request with the app's `getToken`: the token it found
 * (`{ token }`), or without one the request's own credentials (`input()`) — in the same turn when
 * `getToken` answers synchronously. A throw or a rejection of `getToken` (the app's bug, not the
 * client's) goes to `failed`.
 */
export function withFoundToken<Q, R>(
  getToken: TokenLookup<Q>,
  request: Q,
  input: () => CredentialsInput,
  then: (input: CredentialsInput) => R,
  failed: (err: unknown) => R,
): R | Promise<R> {
  let found: unknown
  try {
    found = getToken(request)
  } catch (err) {
    return failed(err)
  }
  if (isThenable(found))
    return Promise.resolve(found).then((token) => then(foundToken(token) ?? input()), failed)
  return then(foundToken(found) ?? input())
}

/** With `optional`, no credentials at all lets the request through (invalid ones never do). */
export function passesAsAnonymous(optional: boolean | undefined, err: unknown): boolean {
  return optional === true && isAuthError(err) && err.code === 'token_missing'
}
