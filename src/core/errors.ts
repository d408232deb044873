/**
 * What can go wrong, and what it means. In order: the codes and their HTTP status, the one
 * {@link AuthError} class (with the `WWW-Authenticate` challenge it answers with), and the error
 * boundary — the single place that decides what a thrown value means (a client's mistake, a store
 * outage, or the application's own bug), and the one way an AuthError is copied with other options.
 */
import {
  DEFAULT_REALM,
  HEADER_DPOP_NONCE,
  HEADER_RETRY_AFTER,
  HEADER_WWW_AUTHENTICATE,
} from './lib/constants.js'

/**
 * Every failure tokenward reports, as a stable machine-readable code. Switch on these, never on
 * the message text.
 */
export type AuthErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_invalid'
  | 'token_expired'
  | 'token_not_active'
  | 'token_claim_invalid'
  | 'token_wrong_type'
  | 'token_revoked'
  | 'refresh_token_reused'
  | 'user_not_found'
  | 'invalid_credentials'
  | 'invalid_client'
  | 'insufficient_user_authentication'
  | 'insufficient_role'
  | 'insufficient_scope'
  | 'csrf_failed'
  | 'session_not_found'
  | 'invalid_request'
  | 'rate_limited'
  | 'store_unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

/** The HTTP status of each code (DESIGN.md, Errors). */
export const AUTH_ERROR_STATUS: Readonly<Record<AuthErrorCode, number>> = {
  token_missing: 401,
  token_malformed: 401,
  token_invalid: 401,
  token_expired: 401,
  token_not_active: 401,
  token_claim_invalid: 401,
  token_wrong_type: 401,
  token_revoked: 401,
  refresh_token_reused: 401,
  user_not_found: 401,
  invalid_credentials: 401,
  invalid_client: 401,
  insufficient_user_authentication: 401,
  insufficient_role: 403,
  insufficient_scope: 403,
  csrf_failed: 403,
  session_not_found: 404,
  invalid_request: 400,
  rate_limited: 429,
  store_unavailable: 503,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
}

/** A DPoP challenge (RFC 9449 §7.1): what `WWW-Authenticate: DPoP …` and `DPoP-Nonce` say. */
export interface DpopChallenge {
  /** The proof algorithms accepted, space-separated (the `algs` attribute). */
  algs: string
  /** Offer the Bearer scheme too (a missing token where DPoP is optional). */
  bearer: boolean
  /** The nonce the next proof must carry (the `DPoP-Nonce` header). */
  nonce?: string | undefined
}

/** Extra facts an {@link AuthError} may carry. */
export interface AuthErrorOptions {
  /** The realm named in `WWW-Authenticate` (default `"tokenward"`). */
  realm?: string
  /** For `insufficient_scope`: the scopes the resource needs (RFC 6750 §3 `scope` attribute). */
  scope?: string
  /** For `rate_limited`: seconds until the client may try again (`Retry-After`). */
  retryAfter?: number
  /** For `insufficient_user_authentication`: the freshest login accepted, seconds (RFC 9470 `max_age`). */
  maxAge?: number
  /** The claim that failed, for `token_claim_invalid` (like jose's `JWTClaimValidationFailed.claim`). */
  claim?: string
  /** The underlying error (a store failure, a resolver failure). Never shown to clients. */
  cause?: unknown
  /** Answer with a DPoP challenge instead of a Bearer one (RFC 9449 §7.1). */
  dpop?: DpopChallenge | undefined
}

// RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
const quoteSafe = (text: string): string => text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')

/**
 * The one error class tokenward throws. It carries a stable `code`, the HTTP `status` to answer
 * with, and the `WWW-Authenticate` value (RFC 6750) — so every adapter maps it in one line.
 *
 * @example
 * ```ts
 * import { AuthError } from 'tokenward'
 *
 * try {
 *   await auth.verifyAccessToken(token)
 * } catch (err) {
 *   if (err instanceof AuthError && err.code === 'token_expired') {
 *     // ask the client to refresh
 *   }
 * }
 * ```
 */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  /** Stable machine-readable code. */
  readonly code: AuthErrorCode
  /** HTTP status to answer with. */
  readonly status: number
  /** The realm used in `wwwAuthenticate`. */
  readonly realm: string
  /** For `insufficient_scope`: the scopes required. */
  readonly scope: string | undefined
  /** For `rate_limited`: seconds to wait. */
  readonly retryAfter: number | undefined
  /** For `token_claim_invalid`: the claim that failed. */
  readonly claim: string | undefined
  /** Set when the answer is a DPoP challenge (RFC 9449 §7.1). */
  readonly dpop: DpopChallenge | undefined
  /** For `insufficient_user_authentication`: the `max_age` the resource asks for, seconds. */
  readonly maxAge: number | undefined

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = AUTH_ERROR_STATUS[code]
    this.realm = options.realm ?? DEFAULT_REALM
    this.scope = options.scope
    this.retryAfter = options.retryAfter
    this.claim = options.claim
    this.dpop = options.dpop
    this.maxAge = options.maxAge
  }

  /**
   * The `WWW-Authenticate` header value for this error (RFC 6750 §3), or `undefined` when the
   * answer carries none (400, 429, 503 and role failures).
   */
  get wwwAuthenticate(): string | undefined {
    // RFC 6749 §5.2: a client that failed to authenticate is challenged for client credentials.
    if (this.code === 'invalid_client') return `Basic realm="${quoteSafe(this.realm)}"`
    if (this.dpop) return dpopChallenge(this, this.dpop)
    const realm = `Bearer realm="${quoteSafe(this.realm)}"`
    if (this.code === 'token_missing') return realm
    if (this.code === 'insufficient_user_authentication') {
      // RFC 9470 §3: the client must send the user to log in again, no longer ago than max_age.
      const maxAge = this.maxAge === undefined ? '' : `, max_age=${Math.floor(this.maxAge)}`
      return `${realm}, error="insufficient_user_authentication", error_description="${quoteSafe(this.message)}"${maxAge}`
    }
    if (this.status === 401) {
      return `${realm}, error="invalid_token", error_description="${quoteSafe(this.message)}"`
    }
    if (this.code === 'insufficient_scope') {
      const scope = this.scope ? `, scope="${quoteSafe(this.scope)}"` : ''
      return `${realm}, error="insufficient_scope", error_description="${quoteSafe(this.message)}"${scope}`
    }
    return undefined
  }

  /** The response headers this error calls for (`WWW-Authenticate`, `Retry-After`). */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {}
    const www = this.wwwAuthenticate
    if (www !== undefined) headers[HEADER_WWW_AUTHENTICATE] = www
    if (this.retryAfter !== undefined)
      headers[HEADER_RETRY_AFTER] = String(Math.max(1, Math.ceil(this.retryAfter)))
    if (this.dpop?.nonce !== undefined) headers[HEADER_DPOP_NONCE] = this.dpop.nonce
    return headers
  }

  /** The JSON body every adapter answers with: `{ error, message }`. */
  toJSON(): { error: AuthErrorCode; message: string } {
    return { error: this.code, message: this.message }
  }
}

/**
 * RFC 9449 §7.1: `DPoP realm="…", error="…", algs="…"`; a missing token gets no error attribute
 * (and a Bearer challenge beside it when bearer tokens are accepted too).
 */
function dpopChallenge(err: AuthError, dpop: DpopChallenge): string | undefined {
  const realm = `realm="${quoteSafe(err.realm)}"`
  const algs = `algs="${quoteSafe(dpop.algs)}"`
  if (err.code === 'token_missing') return `${dpop.bearer ? `Bearer ${realm}, ` : ''}DPoP ${realm}, ${algs}`
  if (err.status !== 401) return undefined
  const error =
    err.code === 'invalid_dpop_proof' || err.code === 'use_dpop_nonce' ? err.code : 'invalid_token'
  return `DPoP ${realm}, error="${error}", error_description="${quoteSafe(err.message)}", ${algs}`
}

/** True when `value` is an {@link AuthError} (also across duplicated package copies). */
export function isAuthError(value: unknown): value is AuthError {
  return (
    value instanceof AuthError ||
    (value instanceof Error &&
      value.name === 'AuthError' &&
      typeof (value as { code?: unknown }).code === 'string')
  )
}

// --- the error boundary ------------------------------------------------------------------------------

/*
 * The error boundary:
 *
 * - A client's mistake is an {@link AuthError} (4xx) from the check that found it.
 * - A failure of the token store is `store_unavailable` (503): fail closed.
 * - A throw from the application's own callback (`resolveUser`, `claimsFor`, `findUser`,
 *   `keyResolver` …) or from tokenward itself is NOT a store outage: it is rethrown as it is (the
 *   framework answers 500 with its cause) and reported as an `error` event.
 * - The realm is applied once, at the boundary of each public operation.
 *
 * It depends on nothing but the error type above, so any module may use it.
 */

/** Where the boundary reports a callback's failure (`AuthCore.emit` fits). */
export type ErrorSink = (event: { type: 'error'; source: string; error: unknown }) => void

/** A store call threw or rejected: `store_unavailable` (an AuthError it threw stays as it is). */
export function storeFailure(err: unknown): AuthError {
  return isAuthError(err)
    ? err
    : new AuthError('store_unavailable', 'the token store is unavailable', { cause: err })
}

/** Runs one store call; its failure becomes `store_unavailable`. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw storeFailure(err)
  }
}

/**
 * Runs one of the application's callbacks. An AuthError it throws is its answer (e.g. an app that
 * throws `store_unavailable` itself when its database is down); anything else is a bug or an
 * outage of the app's, reported as an `error` event and rethrown as it is — never dressed up as a
 * token-store outage.
 */
export async function callback<T>(emit: ErrorSink, source: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw callbackFailure(emit, source, err)
  }
}

/** The boundary's decision for a callback's throw (see {@link callback}). */
export function callbackFailure(emit: ErrorSink, source: string, err: unknown): unknown {
  if (!isAuthError(err)) emit({ type: 'error', source, error: err })
  return err
}

/**
 * A copy of `err` with some of its options changed (an AuthError is read-only): the one way an
 * answer is re-dressed — the realm at the boundary, a DPoP challenge (dpop.ts). Works on an
 * AuthError of another copy of the package too.
 */
export function withOptions(err: AuthError, changes: AuthErrorOptions): AuthError {
  return new AuthError(err.code, err.message, {
    realm: err.realm,
    scope: err.scope,
    retryAfter: err.retryAfter,
    claim: err.claim,
    dpop: err.dpop,
    maxAge: err.maxAge,
    cause: err.cause,
    ...changes,
  })
}

/** `err` with `realm` in its `WWW-Authenticate` challenge (an AuthError), else `err` as it is. */
export function applyRealm(realm: string, err: unknown): unknown {
  if (!isAuthError(err) || err.realm === realm) return err
  return withOptions(err, { realm })
}
