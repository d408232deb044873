/**
 * `tokenward/fastify`: a Fastify 5 plugin (made with fastify-plugin, so its decorations reach the
 * parent scope).
 *
 * Sections, as in the Express and Hono adapters: types → error out → credentials in → guards →
 * auth routes (the shared parts are in kit.ts).
 *
 * @packageDocumentation
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import {
  type Auth,
  type AuthContext,
  type AuthRouteOptions,
  type AuthRouteResponse,
  type CookieOptions,
  createAuthRoutes,
  type Requirement,
} from '../index.js'
import {
  answerFor,
  authenticateThen,
  callOptionsOf,
  MAX_READ_BYTES,
  passesAsAnonymous,
  pathBelow,
  unmet,
} from './kit.js'

// --- types ------------------------------------------------------------------------------------------

/** Per-route settings: `config: { auth: true }` or `config: { auth: { roles: ['admin'] } }`; `false` opts out of `protect`. */
export type RouteAuthConfig = boolean | (Requirement & { optional?: boolean })

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request is authenticated: token, claims, user, roles, scopes. */
    auth: AuthContext<object, unknown> | null
    /** The resolved user (or the claims without a resolver). */
    user: unknown
  }
  interface FastifyInstance {
    /** A preHandler that authenticates the request: `{ preHandler: app.authenticate }`. */
    authenticate: preHandlerAsyncHookHandler
    /** A preHandler that authenticates and checks a requirement: `{ preHandler: app.authorize({ roles: ['admin'] }) }`. */
    authorize: (requirement: Requirement) => preHandlerAsyncHookHandler
  }
  interface FastifyContextConfig {
    /** tokenward: authenticate this route (`true`) and check roles / scopes / permissions. */
    auth?: RouteAuthConfig
  }
}

/** Options of the plugin. */
export interface TokenwardFastifyOptions {
  /** The object from `createAuth`. */
  auth: Auth<object, unknown> | Auth<never, never>
  /** Overrides the `cookies` option of `createAuth`. */
  cookies?: boolean | CookieOptions
  /** Every route needs authentication unless its `config.auth` is `false`. */
  protect?: boolean
  /** Registers the auth routes (`/auth/login`, …) with these options. */
  routes?: AuthRouteOptions<never, object> | AuthRouteOptions<unknown, object>
}

// --- error out ------------------------------------------------------------------------------------------

function send(reply: FastifyReply, answer: AuthRouteResponse): FastifyReply {
  reply.code(answer.status).headers(answer.headers)
  if (answer.cookies.length > 0) reply.header('set-cookie', answer.cookies)
  return answer.body === undefined
    ? reply.send()
    : reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body))
}

// --- credentials in -----------------------------------------------------------------------------------------

/** What a check ends with: `'next'` (run the route), `'replied'` (an error answer was sent), or an error for Fastify's 500 path. */
type Outcome = 'next' | 'replied' | Error

type Check = (
  request: FastifyRequest,
  reply: FastifyReply,
  requirement: Requirement | undefined,
  optional: boolean,
  /** Called once, when authentication (and the requirement) settled. */
  finish: (outcome: Outcome) => void,
) => void

/** Answers an AuthError (→ `'replied'`); anything else is Fastify's to handle (a 500). */
function refuse(reply: FastifyReply, err: unknown): Outcome {
  const answer = answerFor(err)
  if (!answer) return err instanceof Error ? err : new Error(String(err))
  send(reply, answer)
  return 'replied'
}

function makeCheck(auth: Auth<object, unknown>, cookies: boolean | CookieOptions | undefined): Check {
  const callOptions = callOptionsOf(cookies)
  const authorized = (request: FastifyRequest, reply: FastifyReply, requirement: Requirement | undefined) => {
    const err = unmet(auth, request.auth!, requirement)
    return err ? refuse(reply, err) : 'next'
  }
  const accepted = (
    request: FastifyRequest,
    reply: FastifyReply,
    requirement: Requirement | undefined,
    ctx: AuthContext<object, unknown>,
  ) => {
    request.auth = ctx
    request.user = ctx.user
    return authorized(request, reply, requirement)
  }
  const refused = (reply: FastifyReply, optional: boolean, err: unknown): Outcome =>
    passesAsAnonymous(optional, err) ? 'next' : refuse(reply, err)
  return (request, reply, requirement, optional, finish) => {
    if (request.auth) {
      finish(authorized(request, reply, requirement))
      return
    }
    authenticateThen(
      auth,
      { headers: request.headers, method: request.method },
      callOptions,
      (ctx) => finish(accepted(request, reply, requirement, ctx)),
      (err) => finish(refused(reply, optional, err)),
    )
  }
}

/**
 * A preHandler over `check` that works both ways: Fastify passes `done` and gets the callback style
 * (the route runs as soon as authentication settles, with no extra promise); a direct call
 * `await app.authenticate(request, reply)` gets a promise.
 */
function hook(check: Check, requirement: Requirement | undefined, optional: boolean) {
  return function tokenwardPreHandler(
    this: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
    done?: (err?: Error) => void,
  ): Promise<unknown> {
    if (typeof done === 'function') {
      check(request, reply, requirement, optional, (outcome) => {
        if (outcome === 'next') done()
        else if (outcome !== 'replied') done(outcome)
      })
      // Fastify runs the callback style when a hook returns no promise.
      return undefined as unknown as Promise<unknown>
    }
    return new Promise((resolve, reject) => {
      check(request, reply, requirement, optional, (outcome) => {
        if (outcome === 'next') resolve(undefined)
        else if (outcome === 'replied') resolve(reply)
        else reject(outcome)
      })
    })
  }
}

// --- guards ----------------------------------------------------------------------------------------------

/**
 * A standalone preHandler requiring any one of the roles (after the plugin authenticated).
 *
 * @example
 * ```ts
 * app.get('/admin', { preHandler: [app.authenticate, requireRoles('admin')] }, async () => 'welcome')
 * ```
 */
export function requireRoles(...roles: string[]): preHandlerAsyncHookHandler {
  return async function tokenwardRequireRoles(request, reply) {
    return (request.server as FastifyInstance).authorize({ roles }).call(request.server, request, reply)
  }
}

/**
 * A standalone preHandler requiring all of the scopes.
 *
 * @example
 * ```ts
 * app.get('/users', { preHandler: requireScopes('users:read') }, async () => [])
 * ```
 */
export function requireScopes(...scopes: string[]): preHandlerAsyncHookHandler {
  return async function tokenwardRequireScopes(request, reply) {
    return (request.server as FastifyInstance).authorize({ scopes }).call(request.server, request, reply)
  }
}

// --- auth routes ------------------------------------------------------------------------------------------

function registerRoutes(
  app: FastifyInstance,
  auth: Auth<object, unknown>,
  options: AuthRouteOptions<unknown, object>,
): void {
  const routes = createAuthRoutes(auth, options)
  app.register(async (child) => {
    // The core parses bodies, so bad JSON or a wrong content type is a 400 invalid_request in our
    // JSON shape on every framework, not Fastify's own 400/415.
    child.removeAllContentTypeParsers()
    child.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_READ_BYTES }, (_req, body, done) =>
      done(null, body),
    )
    child.all(`${routes.prefix}/*`, { config: { auth: false } }, async (request, reply) => {
      const answer = await routes.handle({
        method: request.method,
        path: pathBelow(routes.prefix, request.url.split('?')[0]!),
        headers: request.headers,
        body: typeof request.body === 'string' ? request.body : undefined,
        address: request.socket.remoteAddress,
      })
      if (!answer) return reply.callNotFound()
      return send(reply, answer)
    })
  })
}

// --- the plugin -----------------------------------------------------------------------------------------------

const plugin: FastifyPluginAsync<TokenwardFastifyOptions> = async (app, options) => {
  if (!options?.auth) throw new TypeError('tokenward: register the plugin with { auth }')
  const auth = options.auth as Auth<object, unknown>
  const check = makeCheck(auth, options.cookies)
  app.decorateRequest('auth', null)
  app.decorateRequest('user', null)
  app.decorate('authenticate', hook(check, undefined, false))
  app.decorate('authorize', (requirement: Requirement) => hook(check, requirement, false))
  app.addHook('onRoute', (route) => {
    const config = (route.config as { auth?: RouteAuthConfig } | undefined)?.auth
    const wanted = config ?? (options.protect ? true : undefined)
    if (wanted === undefined || wanted === false) return
    const requirement = wanted === true ? undefined : wanted
    const optional = wanted !== true && wanted.optional === true
    const handler = hook(check, requirement, optional) as preHandlerAsyncHookHandler
    route.preHandler = [handler, ...(route.preHandler ? [route.preHandler].flat() : [])]
  })
  if (options.routes) registerRoutes(app, auth, options.routes as AuthRouteOptions<unknown, object>)
}

/**
 * The tokenward Fastify plugin.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { createAuth } from 'tokenward'
 * import tokenward from 'tokenward/fastify'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = Fastify()
 * await app.register(tokenward, { auth, routes: { findUser: (name: string) => null } })
 * app.get('/me', { preHandler: app.authenticate }, async (request) => request.user)
 * app.get('/admin', { config: { auth: { roles: ['admin'] } } }, async () => ({ ok: true }))
 * ```
 */
export const tokenwardPlugin = fp(plugin, { fastify: '5.x', name: 'tokenward' })
export default tokenwardPlugin
