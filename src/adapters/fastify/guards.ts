/** tokenward/fastify: guards (one section of the adapter; src/adapters/fastify.ts re-exports it). */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify'
import type { Duration, Requirement } from '../../index.js'
import { checkGuardNames, freshSeconds } from '../kit/guards.js'
import { WiringError } from '../kit/wiring.js'

/**
 * A preHandler that checks `requirement` with the settings of the plugin registered in the
 * request's scope: `app.authorize(requirement)` of that plugin, built on its first request and
 * kept (one per plugin registration), not built again on every request.
 */
export function standalone(name: string, requirement: Requirement): preHandlerAsyncHookHandler {
  const built = new WeakMap<object, preHandlerAsyncHookHandler>()
  const guard: preHandlerAsyncHookHandler = async (request, reply) => {
    const server = request.server as FastifyInstance
    const authorize = server.authorize
    if (typeof authorize !== 'function')
      throw new WiringError(
        `tokenward: ${name} needs the tokenward plugin in this scope: \`await app.register(tokenward, { auth })\` first`,
      )
    let handler = built.get(authorize)
    if (handler === undefined) {
      handler = server.authorize(requirement)
      built.set(authorize, handler)
    }
    return handler.call(server, request, reply)
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
  return standalone('tokenwardRequireRoles', { roles: checkGuardNames(roles, 'requireRoles') })
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
  return standalone('tokenwardRequireScopes', { scopes: checkGuardNames(scopes, 'requireScopes') })
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
    permissions: checkGuardNames(permissions, 'requirePermissions'),
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
