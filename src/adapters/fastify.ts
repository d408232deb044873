/**
 * `tokenward/fastify`: a Fastify 5 plugin (made with fastify-plugin, so its decorations reach the
 * parent scope).
 *
 * Sections, as in the Express and Hono adapters: types → error out → credentials in → guards →
 * auth routes (the shared parts are in kit.ts) — then the start-up checks and the plugin.
 *
 * @packageDocumentation
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { checkNames } from '../core/options.js'
import {
  type Auth,
  type AuthContext,
  type AuthRouteOptions,
  type AuthRouteResponse,
  type CookieOptions,
  type CredentialsInput,
  createAuthRoutes,
  type Duration,
  isAuthError,
  type Requirement,
} from '../index.js'
import {
  type AdapterSettings,
  adapterSettings,
  answerFor,
  authenticateThen,
  checkAuth,
  checkNamesList,
  declaredTooLarge,
  foundToken,
  freshSeconds,
  isDpopScheme,
  isPreflight,
  isThenable,
  type NodeStream,
  passesAsAnonymous,
  readNodeBody,
  servedUnder,
  type TokenLookup,
  tooLarge,
  unmet,
  WiringError,
} from './kit.js'

// --- types ------------------------------------------------------------------------------------------

/** Where an adapter's `getToken` finds the token: `(request) => token | null | undefined` (may be async). */
export type { TokenLookup } from './kit.js'

/** Per-route settings: `config: { auth: true }` or `config: { auth: { roles: ['admin'] } }`; `false` opts out of `protect`. */
export type RouteAuthConfig = boolean | (Requirement & { optional?: boolean })

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request is authenticated: token, claims, user, roles, scopes. */
    auth: AuthContext<object, unknown> | null
    /** The resolved user (or the claims without a resolver); see the `userProperty` option. */
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
  /** Registers the auth routes (`/auth/login`, …) with these options, under the register `prefix`. */
  routes?: AuthRouteOptions<never, object> | AuthRouteOptions<unknown, object>
  /**
   * Throw AuthErrors into Fastify's error handling (your `setErrorHandler`; answer them with
   * {@link authErrorReply}) instead of answering them. They keep `status`, `code` and `headers`.
   */
  passErrors?: boolean
  /**
   * Where the token is, when it is not (only) in `Authorization: Bearer` (a header of your own, a
   * query parameter, a body field): return it, or `null`/`undefined` to fall back to the Bearer
   * header and the access cookie. Used by `app.authenticate`, `config.auth` and the guards alike.
   */
  getToken?: TokenLookup<FastifyRequest>
  /**
   * The request decoration that gets the user (default `'user'`; `false`: none — read
   * `request.auth.user`). Pick another when @fastify/passport or @fastify/jwt owns `request.user`.
   */
  userProperty?: string | false
  /** Fastify's own: the auth routes are served under it (`{ prefix: '/api' }` → `/api/auth/login`). */
  prefix?: string
}

// --- error out ------------------------------------------------------------------------------------------

function send(reply: FastifyReply, answer: AuthRouteResponse): FastifyReply {
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
  return answer ? send(reply, answer) : reply.send(err)
}

// --- credentials in -----------------------------------------------------------------------------------------

/** The URL the client asked for (RFC 9449 `htu`): `trustProxy` decides what protocol and host are. */
function requestUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${request.url}`
}

/** authenticate's input: the headers, the method, and the URL for a DPoP request only. */
function credentialsIn(request: FastifyRequest): CredentialsInput {
  const url = isDpopScheme(request.headers.authorization) ? requestUrl(request) : undefined
  return { headers: request.headers, method: request.method, url }
}

/** What a check ends with: `'next'` (run the route), `'replied'` (an error answer was sent), or an error for Fastify's error handling. */
type Outcome = 'next' | 'replied' | Error

type Check = (
  request: FastifyRequest,
  reply: FastifyReply,
  requirement: Requirement | undefined,
  optional: boolean,
  /** Called once, when authentication (and the requirement) settled. */
  finish: (outcome: Outcome) => void,
) => void

function makeCheck(settings: AdapterSettings<FastifyRequest>, auth: Auth<object, unknown>): Check {
  const { passErrors, getToken, userProperty, callOptions } = settings
  /** An AuthError is answered (→ `'replied'`), or with `passErrors` thrown; anything else is Fastify's (a 500). */
  const refuse = (reply: FastifyReply, err: unknown): Outcome => {
    const answer = passErrors ? undefined : answerFor(err)
    if (!answer) return err instanceof Error ? err : new Error(String(err))
    send(reply, answer)
    return 'replied'
  }
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
    if (userProperty !== false) (request as unknown as Record<string, unknown>)[userProperty] = ctx.user
    return authorized(request, reply, requirement)
  }
  const refused = (reply: FastifyReply, optional: boolean, err: unknown): Outcome =>
    passesAsAnonymous(optional, err) ? 'next' : refuse(reply, err)
  const run = (
    request: FastifyRequest,
    reply: FastifyReply,
    requirement: Requirement | undefined,
    optional: boolean,
    finish: (outcome: Outcome) => void,
    input: CredentialsInput,
  ) =>
    authenticateThen(
      auth,
      input,
      callOptions,
      (ctx) => finish(accepted(request, reply, requirement, ctx)),
      (err) => finish(refused(reply, optional, err)),
    )
  return (request, reply, requirement, optional, finish) => {
    if (request.auth) {
      finish(authorized(request, reply, requirement))
      return
    }
    if (isPreflight(request.method, request.headers['access-control-request-method'])) {
      finish('next')
      return
    }
    if (getToken === undefined) {
      run(request, reply, requirement, optional, finish, credentialsIn(request))
      return
    }
    const fallback = credentialsIn(request)
    let found: unknown
    try {
      found = getToken(request)
    } catch (err) {
      finish(err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (isThenable(found))
      found.then(
        (token) => run(request, reply, requirement, optional, finish, foundToken(token) ?? fallback),
        (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
      )
    else run(request, reply, requirement, optional, finish, foundToken(found) ?? fallback)
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

function standalone(name: string, requirement: Requirement): preHandlerAsyncHookHandler {
  const guard: preHandlerAsyncHookHandler = async (request, reply) => {
    const server = request.server as FastifyInstance
    if (typeof server.authorize !== 'function')
      throw new WiringError(
        `tokenward: ${name} needs the tokenward plugin in this scope: \`await app.register(tokenward, { auth })\` first`,
      )
    return server.authorize(requirement).call(server, request, reply)
  }
  Object.defineProperty(guard, 'name', { value: name })
  return guard
}

/**
 * A standalone preHandler requiring any one of the roles (it authenticates first if needed, with
 * the plugin's settings).
 *
 * @example
 * ```ts
 * app.get('/admin', { preHandler: [app.authenticate, requireRoles('admin')] }, async () => 'welcome')
 * ```
 */
export function requireRoles(...roles: string[]): preHandlerAsyncHookHandler {
  return standalone('tokenwardRequireRoles', { roles: checkNamesList(roles, 'requireRoles') })
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
  return standalone('tokenwardRequireScopes', { scopes: checkNamesList(scopes, 'requireScopes') })
}

/**
 * A standalone preHandler requiring all of the permissions (the `permissions` claim and `rolePermissions`).
 *
 * @example
 * ```ts
 * app.delete('/posts/:id', { preHandler: requirePermissions('posts:delete') }, async () => null)
 * ```
 */
export function requirePermissions(...permissions: string[]): preHandlerAsyncHookHandler {
  return standalone('tokenwardRequirePermissions', {
    permissions: checkNamesList(permissions, 'requirePermissions'),
  })
}

/**
 * A standalone preHandler requiring a fresh login: `auth_time` at most `maxAge` ago (`'5m'` or
 * seconds), else 401 `insufficient_user_authentication` (RFC 9470 `max_age`). In a route's
 * config: `config: { auth: { maxAge: '5m' } }`.
 *
 * @example
 * ```ts
 * app.post('/account/email', { preHandler: requireFresh('5m') }, async () => null)
 * ```
 */
export function requireFresh(maxAge: Duration): preHandlerAsyncHookHandler {
  return standalone('tokenwardRequireFresh', { maxAge: freshSeconds(maxAge) })
}

// --- auth routes ------------------------------------------------------------------------------------------

function registerRoutes(
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
        if (isAuthError(body)) return send(reply, answerFor(body)!)
        const answer = await routes.handle({
          method: request.method,
          path: below,
          headers: request.headers,
          body: body instanceof Uint8Array ? body : undefined,
          address: request.socket.remoteAddress,
          basePath: servedUnder(request.url.split('?')[0]!, below, fallbackBase),
          url: requestUrl(request),
        })
        return answer ? send(reply, answer) : reply.callNotFound()
      })
      for (const { path } of routes.rootRoutes ?? [])
        child.get(path, { config: { auth: false } }, async (request, reply) => {
          const answer = await routes.handleRoot({ method: request.method, path, headers: request.headers })
          return answer ? send(reply, answer) : reply.callNotFound()
        })
    },
    prefix === undefined ? {} : { prefix },
  )
}

// --- start-up checks ---------------------------------------------------------------------------------

// Marks the config of every route the plugin's onRoute hook saw (symbols survive Fastify's copy).
const SEEN = Symbol('tokenward.routeSeen')
const REQUIREMENT_NAMES = ['roles', 'scopes', 'permissions', 'maxAge', 'optional'] as const

/** `config.auth`, checked: `true`, `false`, or `{ roles?, scopes?, permissions?, optional? }`. */
function routeAuthOf(route: RouteOptions): RouteAuthConfig | undefined {
  const config = (route.config as { auth?: unknown } | undefined)?.auth
  if (config === undefined || typeof config === 'boolean') return config
  const where = `config.auth of ${[route.method].flat().join(',')} ${route.url}`
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new TypeError(
      `tokenward: ${where} must be true, false or { roles?, scopes?, permissions?, optional? }`,
    )
  checkNames(config, REQUIREMENT_NAMES, where)
  const c = config as Requirement & { optional?: unknown }
  for (const name of ['roles', 'scopes', 'permissions'] as const) {
    const list = c[name]
    if (list !== undefined && (!Array.isArray(list) || list.some((v) => typeof v !== 'string')))
      throw new TypeError(`tokenward: ${where}: \`${name}\` must be a list of strings`)
  }
  if (c.maxAge !== undefined) (c as { maxAge: number }).maxAge = freshSeconds(c.maxAge)
  if (c.optional !== undefined && typeof c.optional !== 'boolean')
    throw new TypeError(`tokenward: ${where}: \`optional\` must be true or false`)
  return c as RouteAuthConfig
}

/** What the route-order check knows, per Fastify app (shared by every registration of the plugin). */
interface RouteWatch {
  /** Where the plugin is registered (each instance covers its descendants), and with `protect` or not. */
  scopes: { instance: object; protect: boolean }[]
  /** Routes that want tokenward but were never seen by its onRoute hook: `GET /admin` → what is wrong. */
  problems: Map<string, string>
}
const watches = new WeakMap<object, RouteWatch>()

/** An internal of Fastify found by its symbol's description (not part of Fastify's API). */
function internal(app: object, description: string): unknown {
  for (let o: object | null = app; o !== null; o = Object.getPrototypeOf(o))
    for (const symbol of Object.getOwnPropertySymbols(o))
      if (symbol.description === description) return (o as Record<symbol, unknown>)[symbol]
  return undefined
}

function within(instance: object, scope: object): boolean {
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o)) if (o === scope) return true
  return false
}

/**
 * Fastify hands every route's context to its 404 module once, when the app gets ready — the one
 * place that sees ALL routes, including those declared before this plugin loaded (which its onRoute
 * hook never saw: Fastify runs onRoute hooks only for routes declared after they are added). A
 * route there that wants tokenward (`config.auth`, or any route under `protect: true`) but was not
 * seen would be served unprotected; the plugin's onReady hook refuses to start instead.
 *
 * This reads a Fastify internal; test/adapters pins it on the Fastify version in use.
 */
function watchRoutes(app: FastifyInstance): RouteWatch | undefined {
  const fourOhFour = internal(app, 'fastify.404') as
    | { setContext?: (instance: object, context: { config?: Record<PropertyKey, unknown> }) => unknown }
    | undefined
  if (typeof fourOhFour?.setContext !== 'function') return undefined
  const existing = watches.get(fourOhFour)
  if (existing) return existing
  const watch: RouteWatch = { scopes: [], problems: new Map() }
  watches.set(fourOhFour, watch)
  const original = fourOhFour.setContext
  fourOhFour.setContext = function tokenwardSeeRoute(instance, context) {
    const config = context?.config
    if (config && config[SEEN] !== true && config.auth !== false) {
      const scope = watch.scopes.find((s) => within(instance, s.instance))
      const method = [config.method].flat().join(',')
      // Fastify's own HEAD twin of a GET route is reported with it.
      const headTwin = method === 'HEAD' && watch.problems.has(`GET ${String(config.url)}`)
      // Under `protect`, an OPTIONS route registered first (a CORS plugin's preflight) may stay open.
      const protectedByScope = scope?.protect === true && method !== 'OPTIONS'
      if ((config.auth !== undefined || protectedByScope) && !headTwin)
        watch.problems.set(
          `${method} ${String(config.url)}`,
          scope
            ? 'was declared before the tokenward plugin loaded'
            : 'has config.auth, but tokenward is not registered in its scope',
        )
    }
    return original.call(this, instance, context)
  }
  return watch
}

function routeOrderError(problems: ReadonlyMap<string, string>): Error {
  return new WiringError(
    `tokenward: ${problems.size === 1 ? 'a route would be' : `${problems.size} routes would be`} served without authentication:\n` +
      [...problems].map(([route, what]) => `  - ${route} ${what}`).join('\n') +
      '\nDeclare protected routes after `await app.register(tokenward, { auth })` — and await it: without `await`, ' +
      'routes declared right after register() are added before the plugin loads. A route in another plugin ' +
      'needs tokenward registered in that plugin or a parent of it.',
  )
}

// --- the plugin -----------------------------------------------------------------------------------------------

const PLUGIN_OPTION_NAMES = [
  'auth',
  'cookies',
  'protect',
  'routes',
  'passErrors',
  'getToken',
  'userProperty',
  // Fastify's own register options.
  'prefix',
  'logLevel',
  'logSerializers',
] as const

const plugin: FastifyPluginAsync<TokenwardFastifyOptions> = async (app, options) => {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('tokenward: register the plugin with { auth }: app.register(tokenward, { auth })')
  checkAuth(options.auth, 'app.register(tokenward, { auth })')
  checkNames(options, PLUGIN_OPTION_NAMES, 'the tokenward plugin options')
  const auth = options.auth as Auth<object, unknown>
  const {
    auth: _auth,
    protect,
    routes,
    prefix,
    logLevel: _l,
    logSerializers: _s,
    ...common
  } = options as TokenwardFastifyOptions & { logLevel?: unknown; logSerializers?: unknown }
  const settings = adapterSettings<FastifyRequest>(auth, common, 'the tokenward plugin')
  if (protect !== undefined && typeof protect !== 'boolean')
    throw new TypeError('tokenward: `protect` must be true or false')
  const { userProperty } = settings
  if (userProperty !== false && app.hasRequestDecorator(userProperty))
    throw new TypeError(
      `tokenward: request.${userProperty} is already decorated (by @fastify/passport, @fastify/jwt or another plugin): ` +
        "register tokenward with { userProperty: 'account' } (any free name) or { userProperty: false }",
    )
  const check = makeCheck(settings, auth)
  app.decorateRequest('auth', null)
  if (userProperty !== false) app.decorateRequest(userProperty, null)
  app.decorate('authenticate', hook(check, undefined, false))
  app.decorate('authorize', (requirement: Requirement) => hook(check, requirement, false))

  const watch = watchRoutes(app)
  watch?.scopes.push({ instance: app, protect: protect === true })
  app.addHook('onRoute', (route) => {
    const config = routeAuthOf(route)
    const wanted = config ?? (protect ? true : undefined)
    if (config !== undefined || protect)
      route.config = { ...route.config, [SEEN]: true } as typeof route.config
    if (wanted === undefined || wanted === false) return
    const requirement = wanted === true ? undefined : wanted
    const optional = wanted !== true && wanted.optional === true
    const handler = hook(check, requirement, optional) as preHandlerAsyncHookHandler
    route.preHandler = [handler, ...(route.preHandler ? [route.preHandler].flat() : [])]
  })
  app.addHook('onReady', async function tokenwardCheckRoutes() {
    if (watch && watch.problems.size > 0) throw routeOrderError(watch.problems)
  })
  if (routes) registerRoutes(app, auth, routes as AuthRouteOptions<unknown, object>, prefix)
}

/**
 * The tokenward Fastify plugin. Wiring mistakes fail `app.ready()` (and `listen()`): a route with
 * `config.auth` (or any route under `protect: true`) declared before the plugin loaded, an unknown
 * key in `config.auth`, an unknown plugin option.
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
