/**
 * The error boundary: the single place that decides what a thrown value means.
 *
 * - A client's mistake is an {@link AuthError} (4xx) from the check that found it.
 * - A failure of the token store is `store_unavailable` (503): fail closed.
 * - A throw from the application's own callback (`resolveUser`, `claimsFor`, `findUser`,
 *   `keyResolver` …) or from tokenward itself is NOT a store outage: it is rethrown as it is (the
 *   framework answers 500 with its cause) and reported as an `error` event.
 * - The realm is applied once, at the boundary of each public operation.
 *
 * It depends on nothing but errors.ts, so any module may use it.
 */
import { AuthError, isAuthError } from './errors.js'

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

/** `err` with `realm` in its `WWW-Authenticate` challenge (an AuthError), else `err` as it is. */
export function applyRealm(realm: string, err: unknown): unknown {
  if (!isAuthError(err) || err.realm === realm) return err
  return new AuthError(err.code, err.message, {
    realm,
    scope: err.scope,
    retryAfter: err.retryAfter,
    claim: err.claim,
    dpop: err.dpop,
    maxAge: err.maxAge,
    cause: err.cause,
  })
}
