/** tokenward/hono: error out (one section of the adapter; src/adapters/hono.ts re-exports it). */
import { answerFor, webResponse } from '../kit/errors.js'

/**
 * The standard answer for an error (`{ error, message }`, status, `WWW-Authenticate`), for apps
 * with their own `app.onError` (and `passErrors: true`). Anything else is rethrown.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { isAuthError } from 'tokenward'
 * import { authErrorResponse } from 'tokenward/hono'
 *
 * const app = new Hono()
 * app.onError((err, c) => (isAuthError(err) ? authErrorResponse(err) : c.text('oops', 500)))
 * ```
 */
export function authErrorResponse(err: unknown): Response {
  const answer = answerFor(err)
  if (answer) return webResponse(answer)
  // Not the client's doing (the app's callback threw, a bug): Hono's own error handling (onError, a 500).
  throw err
}

/** An AuthError is answered, or with `passErrors` thrown to `app.onError`; anything else is thrown. */
export function refuse(err: unknown, passErrors: boolean): Response {
  if (passErrors) throw err
  return authErrorResponse(err)
}
