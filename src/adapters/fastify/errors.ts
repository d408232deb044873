/** tokenward/fastify: error out (one section of the adapter; src/adapters/fastify.ts re-exports it). */
import type { FastifyReply } from 'fastify'
import type { AuthRouteResponse } from '../../index.js'
import { answerFor } from '../kit/errors.js'

/** Writes an answer (an error's or an auth route's) to Fastify's reply. */
export function sendAnswer(reply: FastifyReply, answer: AuthRouteResponse): FastifyReply {
  reply.code(answer.status).headers(answer.headers)
  if (answer.cookies.length > 0) reply.header('set-cookie', answer.cookies)
  return answer.body === undefined
    ? reply.send()
    : reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body))
}

/**
 * Answers an AuthError in the standard form (`{ error, message }`, status, `WWW-Authenticate`);
 * for your `setErrorHandler` with `passErrors: true`. Any other error is sent on as it is (Fastify
 * answers it: a 500).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { createAuth, isAuthError } from 'tokenward'
 * import tokenward, { authErrorReply } from 'tokenward/fastify'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = Fastify()
 * await app.register(tokenward, { auth, passErrors: true })
 * app.setErrorHandler((err, request, reply) => {
 *   if (isAuthError(err)) request.log.info({ code: err.code }, 'refused')
 *   return authErrorReply(reply, err)
 * })
 * ```
 */
export function authErrorReply(reply: FastifyReply, err: unknown): FastifyReply {
  const answer = answerFor(err)
  return answer ? sendAnswer(reply, answer) : reply.send(err)
}
