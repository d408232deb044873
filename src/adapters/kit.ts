/**
 * What the three adapters share (internal): the synchronous-capable authenticate, optional
 * authentication, guards, the body cap, and the error boundary on the framework side — an
 * AuthError is answered, anything else goes to the framework's own error handling (a 500).
 *
 * Each adapter has the same sections in the same order: types → error out → credentials in →
 * guards → auth routes.
 *
 * @internal
 * @packageDocumentation
 */
import { authenticateThen } from '../core/authenticate.js'
import { AuthError, isAuthError } from '../core/errors.js'
import type { Requirement } from '../core/guards.js'
import type { Auth, AuthContext, AuthenticateOptions } from '../core/types.js'
import { errorResponse } from '../http/response.js'
import type { AuthRouteResponse } from '../http/types.js'

export { authenticateThen }

/** Largest body an adapter reads for the auth routes; the routes apply their own smaller limit. */
export const MAX_READ_BYTES = 2 * 1024 * 1024

/** The call options `authenticate` gets from an adapter's `cookies` override. */
export function callOptionsOf(cookies: AuthenticateOptions['cookies']): AuthenticateOptions | undefined {
  return cookies === undefined ? undefined : { cookies }
}

/** With `optional`, no credentials at all lets the request through (invalid ones never do). */
export function passesAsAnonymous(optional: boolean | undefined, err: unknown): boolean {
  return optional === true && isAuthError(err) && err.code === 'token_missing'
}

/** The error a guard answers when no `authenticate` ran before it. */
export function notAuthenticated(): AuthError {
  return new AuthError('token_missing', 'no bearer token was presented')
}

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

/**
 * The answer for an error on the framework side of the boundary: an AuthError's own answer, or
 * `undefined` when the error is not the client's (the adapter hands it to the framework: a 500).
 */
export function answerFor(err: unknown): AuthRouteResponse | undefined {
  return isAuthError(err) ? errorResponse(err) : undefined
}

/** The path of a request below the auth routes' prefix (`/auth/login` → `/login`). */
export function pathBelow(prefix: string, path: string): string {
  return path.slice(prefix.length) || '/'
}
