/** tokenward/express: guards (one section of the adapter; src/adapters/express.ts re-exports it). */
import type { RequestHandler } from 'express'
import type { Duration, Requirement } from '../../index.js'
import { isPreflight } from '../kit/credentials.js'
import { guardFactories, noCredentials, unmet } from '../kit/guards.js'
import { EXPRESS_CALLS, guardWithoutAuthenticate } from '../kit/wiring.js'
import { fail } from './errors.js'
import { authOf } from './types.js'

/** The middleware of one guard: it reads what `authenticate` bound to the request. */
function guard(name: string, call: string, requirement: Requirement): RequestHandler {
  const middleware: RequestHandler = (req, res, next) => {
    if (isPreflight(req.method, req.headers['access-control-request-method'])) return next()
    const bound = authOf.get(req)
    if (!bound) return next(guardWithoutAuthenticate(call, 'authenticate(auth)'))
    if (!req.auth) return fail(res, next, noCredentials(bound.auth), bound.passErrors)
    const err = unmet(bound.auth, req.auth, requirement)
    if (err) return fail(res, next, err, bound.passErrors)
    next()
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return middleware
}

// Handed to Express uncalled, a factory answers a 500 naming the fix (never hangs).
const guards = guardFactories<RequestHandler>({
  calls: EXPRESS_CALLS,
  guard,
  fix: (call) => `app.get(path, authenticate(auth), ${call}, handler)`,
})

/**
 * 401 unless `authenticate` found credentials (for routes after `{ optional: true }`).
 *
 * @example
 * ```ts
 * app.get('/private', authenticate(auth, { optional: true }), requireAuth(), (req, res) => res.send('hi'))
 * ```
 */
export function requireAuth(): RequestHandler
export function requireAuth(...args: unknown[]): RequestHandler {
  return guards.requireAuth(args)
}

/**
 * Any one of the roles (the role hierarchy applies), or 403 `insufficient_role`.
 *
 * @example
 * ```ts
 * app.get('/admin', authenticate(auth), requireRoles('admin'), (req, res) => res.send('welcome'))
 * ```
 */
export function requireRoles(...roles: string[]): RequestHandler
export function requireRoles(...args: unknown[]): RequestHandler {
  return guards.requireRoles(args)
}

/**
 * All of the scopes, or 403 `insufficient_scope` with `WWW-Authenticate … scope="…"`.
 *
 * @example
 * ```ts
 * app.get('/users', authenticate(auth), requireScopes('users:read'), (req, res) => res.json([]))
 * ```
 */
export function requireScopes(...scopes: string[]): RequestHandler
export function requireScopes(...args: unknown[]): RequestHandler {
  return guards.requireScopes(args)
}

/**
 * All of the permissions (the `permissions` claim and `rolePermissions`), or 403 `insufficient_role`.
 *
 * @example
 * ```ts
 * app.delete('/posts/:id', authenticate(auth), requirePermissions('posts:delete'), (req, res) => res.sendStatus(204))
 * ```
 */
export function requirePermissions(...permissions: string[]): RequestHandler
export function requirePermissions(...args: unknown[]): RequestHandler {
  return guards.requirePermissions(args)
}

/**
 * A fresh login: the user authenticated (`auth_time`) at most `maxAge` ago (`'5m'` or seconds),
 * else 401 `insufficient_user_authentication` with RFC 9470's `WWW-Authenticate … max_age=300`
 * — the client sends the user to `POST /auth/reauthenticate` and retries.
 *
 * @example
 * ```ts
 * app.post('/account/email', authenticate(auth), requireFresh('5m'), (req, res) => res.sendStatus(204))
 * ```
 */
export function requireFresh(maxAge: Duration): RequestHandler
export function requireFresh(...args: unknown[]): RequestHandler {
  return guards.requireFresh(args)
}
