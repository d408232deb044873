/**
 * The adapter kit (internal), error out: the boundary on the framework side. An AuthError is
 * answered (or passed on with `passErrors`); anything else goes to the framework's own error
 * handling (a 500). In order: the answer for an error, the answer as a Fetch `Response`, and the
 * body-too-large error whose answer closes the connection.
 *
 * @internal
 * @packageDocumentation
 */
import { isAuthError } from '../../core/errors.js'
import { bodyTooLarge } from '../../http/body.js'
import { errorResponse } from '../../http/response.js'
import type { AuthRouteResponse } from '../../http/types.js'

// Body-too-large errors: their answer also closes the connection, so the rest of the body is not read.
const closing = new WeakSet<object>()

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

/** An answer of the auth routes or of an error as a Fetch `Response` (Hono, tokenward/fetch). */
export function webResponse(answer: AuthRouteResponse): Response {
  const headers = new Headers(answer.headers)
  for (const cookie of answer.cookies) headers.append('Set-Cookie', cookie)
  if (answer.body === undefined) return new Response(null, { status: answer.status, headers })
  headers.set('Content-Type', 'application/json; charset=utf-8')
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers })
}

/** The 400 for a body over `limit` bytes, answered before the rest is read (and the connection closed). */
export function tooLarge(limit: number): Error {
  const err = bodyTooLarge(limit)
  closing.add(err)
  return err
}
