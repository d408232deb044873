/**
 * The auth routes: one table, one handler per route, one error boundary. Adapters mount them
 * (`authRouter`, the Fastify `routes` option, `authRoutes`); you only call `createAuthRoutes` to
 * support another framework.
 */
import { applyRealm, isAuthError } from '../../core/errors.js'
import type { Auth, ClaimsInput } from '../../core/types/index.js'
import { parseBody } from '../body.js'
import { oauthErrorResponse } from '../oauth.js'
import { authOpenApi } from '../openapi.js'
import { normalisePrefix, resolveRouteOptions } from '../options.js'
import { errorResponse, json } from '../response.js'
import { type RouteContext, routeCoreOf } from '../route-context.js'
import { clearCookies } from '../session-cookies.js'
import type { AuthRouteOptions, AuthRouteResponse, AuthRoutes } from '../types.js'
import { defaultClaimsFor } from '../users.js'
import { warmDummy } from './login.js'
import { ROOT_TABLE, ROUTE_TABLE, type RouteEntry } from './table.js'

/** True when `path` is `pattern`, a `:name` segment of the pattern standing for any one non-empty segment. */
function pathMatches(pattern: string, path: string): boolean {
  if (!pattern.includes('/:')) return pattern === path
  const want = pattern.split('/')
  const got = path.split('/')
  return (
    want.length === got.length &&
    want.every((part, i) => (part.startsWith(':') ? got[i] !== '' : part === got[i]))
  )
}

function findEntry(path: string, method: string, openapi: boolean): RouteEntry | undefined {
  const entry = ROUTE_TABLE.find(
    (r) => pathMatches(r.path, path) && (r.method === method || (r.method === 'GET' && method === 'HEAD')),
  )
  if (entry) return entry
  if (openapi && path === '/openapi.json' && (method === 'GET' || method === 'HEAD')) return OPENAPI_ENTRY
  return undefined
}

const OPENAPI_ENTRY: RouteEntry = {
  method: 'GET',
  path: '/openapi.json',
  handler: async (route) => json(authOpenApi(route.auth, route.options)),
  body: false,
  oauth: false,
  doc: 'openapi',
}

/** How many other paths a set of routes keeps a context for (a mount with a path parameter has many). */
const SERVED_AT_KEPT = 16

/**
 * The mounting rule, one for every adapter: the auth routes are served at <where the app mounts
 * them><prefix> (`app.use('/api', authRouter(…))`, `app.route('/api', authRoutes(…))` and
 * `register(tokenward, { prefix: '/api', routes })` all serve `/api/auth/login`). The adapter
 * tells the path the client used (`basePath`); the session cookies are scoped to it. The context
 * of another path is made once and kept (a few of them); what the handlers remember between
 * requests (`memory`) is the same object in all of them.
 */
function servedAt(
  route: RouteContext,
  served: Map<string, RouteContext>,
  basePath: string | undefined,
): RouteContext {
  if (basePath === undefined) return route
  const prefix = normalisePrefix(basePath)
  if (prefix === route.settings.prefix) return route
  let context = served.get(prefix)
  if (context === undefined) {
    context = { ...route, settings: { ...route.settings, prefix } }
    if (served.size < SERVED_AT_KEPT) served.set(prefix, context)
  }
  return context
}

/** The boundary of the routes: a client's mistake or a store outage is answered; anything else is rethrown. */
function answerError(route: RouteContext, entry: RouteEntry, err: unknown): AuthRouteResponse {
  // The app's callback threw, or a tokenward bug: the framework's error handling (a 500).
  if (!isAuthError(err)) throw err
  const e = applyRealm(route.core.settings.realm, err) as typeof err
  const response = entry.oauth ? oauthErrorResponse(e) : errorResponse(e)
  const { cookies, prefix } = route.settings
  if (err.code === 'refresh_token_reused') response.cookies.push(...clearCookies(cookies, prefix))
  return response
}

/**
 * Builds the framework-neutral auth routes. Options are checked here, once: an unknown name, a
 * `NaN` limit or a missing `findUser` throws at start-up.
 *
 * @example
 * ```ts
 * import { createAuth, createAuthRoutes } from 'tokenward'
 *
 * const auth = createAuth({ secret: process.env.JWT_SECRET! })
 * const routes = createAuthRoutes(auth, { findUser: (name) => users.get(name) ?? null })
 * const res = await routes.handle({
 *   method: 'POST',
 *   path: '/login',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ username: 'ada', password: 'correct horse battery staple' }),
 *   address: '127.0.0.1',
 * })
 * ```
 */
export function createAuthRoutes<C extends object, U, RU = U>(
  auth: Auth<C, U>,
  options: AuthRouteOptions<RU, C>,
): AuthRoutes {
  const a = auth as unknown as Auth<object, unknown>
  const core = routeCoreOf(a)
  const o = options as unknown as AuthRouteOptions<unknown, object>
  const settings = resolveRouteOptions(core, o)
  const route: RouteContext = {
    auth: a,
    core,
    options: o,
    settings,
    store: core.store,
    claimsFor: (o.claimsFor ?? defaultClaimsFor) as (user: unknown) => ClaimsInput<object>,
    memory: { dummy: undefined, warnedNoAddress: false },
  }
  const served = new Map<string, RouteContext>()
  const openapi = o.openapi === true
  // The last lookup: adapters ask `matches` and then `handle` for one request, so the table is
  // scanned once (a request in between costs only a second scan, never a wrong entry).
  let lastMethod = ''
  let lastPath = ''
  let lastEntry: RouteEntry | undefined
  const entryFor = (method: string, path: string): RouteEntry | undefined => {
    if (method === lastMethod && path === lastPath) return lastEntry
    lastEntry = findEntry(path.replace(/\/+$/, '') || '/', method.toUpperCase(), openapi)
    lastMethod = method
    lastPath = path
    return lastEntry
  }
  return {
    prefix: settings.prefix,
    cookies: settings.cookies,
    maxBodyBytes: settings.maxBodyBytes,
    rootRoutes: core.settings.publishesKeys
      ? ROOT_TABLE.map(({ path }) => ({ method: 'GET' as const, path }))
      : [],
    matches: (method, path) => entryFor(method, path) !== undefined,
    async handle(request) {
      const entry = entryFor(request.method, request.path)
      if (!entry) return undefined
      const context = servedAt(route, served, request.basePath)
      warmDummy(route)
      try {
        const fields = entry.body ? parseBody(request, settings.maxBodyBytes) : {}
        return await entry.handler(context, request, fields)
      } catch (err) {
        return answerError(context, entry, err)
      }
    },
    async handleRoot(request) {
      const method = request.method.toUpperCase()
      const entry = ROOT_TABLE.find((r) => r.path === request.path)
      if (!core.settings.publishesKeys || !entry || (method !== 'GET' && method !== 'HEAD')) return undefined
      return entry.handler(route)
    },
  }
}
