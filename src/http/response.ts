/** Answers of the auth routes: errors in the `{ error, message }` shape, and no-store headers. */
import { isAuthError } from '../core/errors.js'
import type { AuthRouteResponse } from './types.js'

/** RFC 6749 §5.1: token responses must not be cached. */
export const NO_STORE: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

/**
 * The answer for an {@link AuthError}: its status, headers and `{ error, message }` body. Anything
 * else is not the client's doing: adapters hand it to the framework's own error handling (a 500);
 * called with one anyway, this answers a bare 500 that reveals nothing.
 */
export function errorResponse(err: unknown): AuthRouteResponse {
  if (!isAuthError(err))
    return {
      status: 500,
      headers: {},
      cookies: [],
      body: { error: 'server_error', message: 'internal error' },
    }
  return { status: err.status, headers: { ...err.headers }, cookies: [], body: err.toJSON() }
}

/** An empty 204 with no-store headers (and cookies to set, if any). */
export function noContent(cookies: string[] = []): AuthRouteResponse {
  return { status: 204, headers: { ...NO_STORE }, cookies, body: undefined }
}

/** A 200 JSON answer with no-store headers. */
export function json(body: unknown, cookies: string[] = []): AuthRouteResponse {
  return { status: 200, headers: { ...NO_STORE }, cookies, body }
}
