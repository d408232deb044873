/**
 * The auth routes: one table, one handler per route, one error boundary. Adapters mount them
 * (`authRouter`, the Fastify `routes` option, `authRoutes`); you only call `createAuthRoutes` to
 * support another framework.
 */
import { applyRealm } from '../../core/context.js'
import { isAuthError } from '../../core/errors.js'
import type { Auth, ClaimsInput } from '../../core/types.js'
import { parseBody } from '../body.js'
import { resolveRouteOptions } from '../options.js'
import { errorResponse } from '../response.js'
import type { RouteContext } from '../route-context.js'
import { clearCookies } from '../session-cookies.js'
import type {
  AuthRouteOptions,
  AuthRouteRequest,
  AuthRouteResponse,
  AuthRoutes,
  BodyFields,
} from '../types.js'
import { defaultClaimsFor } from '../users.js'
import { login } from './login.js'
import { logout } from './logout.js'
import { me } from './me.js'
import { refresh } from './refresh.js'
import { token } from './token.js'

type Handler = (
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
) => Promise<AuthRouteResponse>

const HANDLERS: Readonly<Record<string, { method: 'GET' | 'POST'; handler: Handler; body: boolean }>> = {
  '/login': { method: 'POST', handler: login, body: true },
  '/token': { method: 'POST', handler: token, body: true },
  '/refresh': { method: 'POST', handler: refresh, body: true },
  '/logout': { method: 'POST', handler: logout, body: true },
  '/me': { method: 'GET', handler: (route, request) => me(route, request), body: false },
}

/** The route table, for adapters to register. */
export const AUTH_ROUTES: ReadonlyArray<{ method: 'GET' | 'POST'; path: string }> = Object.entries(
  HANDLERS,
).map(([path, { method }]) => ({ method, path }))

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
  const o = options as unknown as AuthRouteOptions<unknown, object>
  const settings = resolveRouteOptions(a, o)
  const route: RouteContext = {
    auth: a,
    options: o,
    settings,
    store: a.settings.store,
    claimsFor: (o.claimsFor ?? defaultClaimsFor) as (user: unknown) => ClaimsInput<object>,
    dummyHash: undefined,
    warnedNoAddress: false,
  }
  return {
    prefix: settings.prefix,
    cookies: settings.cookies,
    async handle(request) {
      const path = request.path.replace(/\/+$/, '') || '/'
      const entry = Object.hasOwn(HANDLERS, path) ? HANDLERS[path] : undefined
      const method = request.method.toUpperCase()
      if (!entry || (entry.method !== method && !(entry.method === 'GET' && method === 'HEAD')))
        return undefined
      try {
        const fields = entry.body ? parseBody(request, settings.maxBodyBytes) : {}
        return await entry.handler(route, request, fields)
      } catch (err) {
        // The boundary: a client's mistake or a store outage is answered here; anything else (the
        // app's callback threw, a tokenward bug) goes to the framework's error handling.
        if (!isAuthError(err)) throw err
        const response = errorResponse(applyRealm(a.settings.realm, err))
        if (err.code === 'refresh_token_reused')
          response.cookies.push(...clearCookies(settings.cookies, settings.prefix))
        return response
      }
    },
  }
}
