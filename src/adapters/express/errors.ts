/** tokenward/express: error out (one section of the adapter; src/adapters/express.ts re-exports it). */
import type { ErrorRequestHandler, Response } from 'express'
import type { AuthRouteResponse } from '../../index.js'
import { answerFor } from '../kit/errors.js'
import { EXPRESS_CALLS, handedOverUncalled } from '../kit/wiring.js'

/** Writes an answer (an error's or an auth route's) to Express's response. */
export function sendAnswer(res: Response, answer: AuthRouteResponse): void {
  res.status(answer.status)
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value)
  if (answer.cookies.length > 0) res.append('Set-Cookie', answer.cookies)
  if (answer.body === undefined) res.end()
  else res.json(answer.body)
}

/** An AuthError is answered (or passed on with `passErrors`); anything else goes to `next(err)`: a 500. */
export function fail(res: Response, next: (err?: unknown) => void, err: unknown, passErrors: boolean): void {
  const answer = passErrors ? undefined : answerFor(err)
  if (answer) sendAnswer(res, answer)
  else next(err)
}

/**
 * An error middleware that answers AuthErrors in the standard form (`{ error, message }`, status,
 * `WWW-Authenticate`) and passes other errors on. Use it with `{ passErrors: true }`.
 *
 * @example
 * ```ts
 * app.use('/api', authenticate(auth, { passErrors: true }))
 * app.use(authErrorHandler())
 * ```
 */
export function authErrorHandler(): ErrorRequestHandler
export function authErrorHandler(...args: unknown[]): ErrorRequestHandler | undefined {
  if (handedOverUncalled(EXPRESS_CALLS, args, 'authErrorHandler', 'app.use(authErrorHandler())'))
    return undefined
  return function tokenwardErrorHandler(err, _req, res, next) {
    const answer = answerFor(err)
    if (answer) sendAnswer(res, answer)
    else next(err)
  }
}
