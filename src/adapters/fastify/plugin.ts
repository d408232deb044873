/** tokenward/fastify: the plugin (one section of the adapter; src/adapters/fastify.ts re-exports it). */
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { checkNames } from '../../core/options/validate.js'
import type { Auth, AuthRouteOptions, Requirement } from '../../index.js'
import { adapterSettings } from '../kit/options.js'
import { checkAuth } from '../kit/wiring.js'
import { hook, makeCheck } from './credentials.js'
import { registerRoutes } from './routes.js'
import type { TokenwardFastifyOptions } from './types.js'
import { routeAuthOf, routeOrderError, SEEN, watchRoutes } from './wiring.js'

export const PLUGIN_OPTION_NAMES = [
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

export const plugin: FastifyPluginAsync<TokenwardFastifyOptions> = async (app, options) => {
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
