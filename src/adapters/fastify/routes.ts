/** tokenward/fastify: auth routes (one section of the adapter; src/adapters/fastify.ts re-exports it). */
import type { FastifyInstance } from 'fastify'
import { type Auth, type AuthRouteOptions, createAuthRoutes, isAuthError } from '../../index.js'
import { declaredTooLarge, type NodeStream, readNodeBody, servedUnder } from '../kit/body.js'
import { answerFor, tooLarge } from '../kit/errors.js'
import { requestUrl } from './credentials.js'
import { sendAnswer } from './errors.js'

export function registerRoutes(
  app: FastifyInstance,
  auth: Auth<object, unknown>,
  options: AuthRouteOptions<unknown, object>,
  prefix: string | undefined,
): void {
  const routes = createAuthRoutes(auth, options)
  const limit = routes.maxBodyBytes
  app.register(
    async (child) => {
      // The core parses bodies, so bad JSON or a wrong content type is a 400 invalid_request in our
      // JSON shape on every framework, not Fastify's own 400/415/413. The body is read here, capped
      // while it streams; a body over the limit (or unreadable) becomes its AuthError.
      child.removeAllContentTypeParsers()
      child.addContentTypeParser('*', (request, payload, done) => {
        if (declaredTooLarge(request.headers['content-length'], limit)) return done(null, tooLarge(limit))
        readNodeBody(payload as unknown as NodeStream, limit).then(
          (body) => done(null, body),
          (err: unknown) => done(null, err),
        )
      })
      const fallbackBase = `${child.prefix}${routes.prefix}`
      child.all(`${routes.prefix}/*`, { config: { auth: false } }, async (request, reply) => {
        const below = `/${(request.params as { '*'?: string })['*'] ?? ''}`
        if (!routes.matches(request.method, below)) return reply.callNotFound()
        const body = request.body
        if (isAuthError(body)) return sendAnswer(reply, answerFor(body)!)
        const answer = await routes.handle({
          method: request.method,
          path: below,
          headers: request.headers,
          body: body instanceof Uint8Array ? body : undefined,
          address: request.socket.remoteAddress,
          basePath: servedUnder(request.url.split('?')[0]!, below, fallbackBase),
          url: requestUrl(request),
        })
        return answer ? sendAnswer(reply, answer) : reply.callNotFound()
      })
      for (const { path } of routes.rootRoutes ?? [])
        child.get(path, { config: { auth: false } }, async (request, reply) => {
          const answer = await routes.handleRoot({ method: request.method, path, headers: request.headers })
          return answer ? sendAnswer(reply, answer) : reply.callNotFound()
        })
    },
    prefix === undefined ? {} : { prefix },
  )
}
