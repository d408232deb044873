/** tokenward/fetch: error out (one section of the adapter; src/adapters/fetch.ts re-exports it). */
import { answerFor, webResponse } from '../kit/errors.js'

/**
 * The standard answer for an error (`{ error, message }`, status, `WWW-Authenticate`) as a Fetch
 * `Response`, for apps that call `auth.authenticate` or `auth.authorize` themselves. Anything that
 * is not an AuthError (the app's own callback threw, a bug) is rethrown: the server's 500.
 *
 * @example
 * ```ts
 * import { createAuth } from 'tokenward'
 * import { authErrorResponse } from 'tokenward/fetch'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * export async function handle(request: Request): Promise<Response> {
 *   try {
 *     const ctx = await auth.authenticate(request)
 *     return Response.json({ sub: ctx.claims.sub })
 *   } catch (err) {
 *     return authErrorResponse(err)
 *   }
 * }
 * ```
 */
export function authErrorResponse(err: unknown): Response {
  const answer = answerFor(err)
  if (answer) return webResponse(answer)
  throw err
}
