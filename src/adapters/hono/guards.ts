/** tokenward/hono: guards (one section of the adapter; src/adapters/hono.ts re-exports it). */
import type { MiddlewareHandler } from 'hono'
import type { AuthContext, Duration, Requirement } from '../../index.js'
import { guardFactories, noCredentials, unmet } from '../kit/guards.js'
import { guardWithoutAuthenticate, HONO_CALLS } from '../kit/wiring.js'
import { preflight } from './credentials.js'
import { refuse } from './errors.js'
import { authOf } from './types.js'

/** The middleware of one guard: it reads what `authenticate` bound to the request. */
function guard(name: string, call: string, requirement: Requirement): MiddlewareHandler {
  const middleware: MiddlewareHandler = async (c, next) => {
    if (preflight(c)) return next()
    const bound = authOf.get(c.req.raw)
    if (!bound) throw guardWithoutAuthenticate(call, 'authenticate(auth)')
    const ctx = c.get('auth') as AuthContext<object, unknown> | undefined
    if (!ctx) return refuse(noCredentials(bound.auth), bound.passErrors)
    const err = unmet(bound.auth, ctx, requirement)
    if (err) return refuse(err, bound.passErrors)
    await next()
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return middleware
}

// Handed to Hono uncalled (`app.use(requireRoles)`), a factory throws a 500 naming the fix.
const guards = guardFactories<MiddlewareHandler>({
  calls: HONO_CALLS,
  guard,
  fix: (call) => `app.get(path, ${call}, handler) after authenticate(auth)`,
})

/**
 * Rejects with 401 unless `authenticate` found credentials (for routes after `{ optional: true }`).
 *
 * @example
 * ```ts
 * app.get('/api/private', requireAuth(), (c) => c.text('hi'))
 * ```
 */
export function requireAuth(): MiddlewareHandler
export function requireAuth(...args: unknown[]): MiddlewareHandler {
  return guards.requireAuth(args)
}

/**
 * Needs any one of the roles (the role hierarchy applies): 403 `insufficient_role` otherwise.
 *
 * @example
 * ```ts
 * app.get('/admin', authenticate(auth), requireRoles('admin'), (c) => c.text('welcome'))
 * ```
 */
export function requireRoles(...roles: string[]): MiddlewareHandler
export function requireRoles(...args: unknown[]): MiddlewareHandler {
  return guards.requireRoles(args)
}

/**
 * Needs all of the scopes: 403 `insufficient_scope` with `WWW-Authenticate … scope="…"` otherwise.
 *
 * @example
 * ```ts
 * app.get('/users', authenticate(auth), requireScopes('users:read'), (c) => c.json([]))
 * ```
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler
export function requireScopes(...args: unknown[]): MiddlewareHandler {
  return guards.requireScopes(args)
}

/**
 * Needs all of the permissions (from the `permissions` claim and `rolePermissions`).
 *
 * @example
 * ```ts
 * app.delete('/posts/:id', authenticate(auth), requirePermissions('posts:delete'), (c) => c.body(null, 204))
 * ```
 */
export function requirePermissions(...permissions: string[]): MiddlewareHandler
export function requirePermissions(...args: unknown[]): MiddlewareHandler {
  return guards.requirePermissions(args)
}

/**
 * A fresh login: the user authenticated (`auth_time`) at most `maxAge` ago (`'5m'` or seconds),
 * else 401 `insufficient_user_authentication` with RFC 9470's `WWW-Authenticate … max_age=300`.
 *
 * @example
 * ```ts
 * app.post('/account/email', authenticate(auth), requireFresh('5m'), (c) => c.body(null, 204))
 * ```
 */
export function requireFresh(maxAge: Duration): MiddlewareHandler
export function requireFresh(...args: unknown[]): MiddlewareHandler {
  return guards.requireFresh(args)
}
