/**
 * The adapter kit (internal), guards: `requireAuth`, `requireRoles`, `requireScopes`,
 * `requirePermissions` and `requireFresh` as one set of rules for every adapter. In order: the
 * checks of a guard's arguments where it is declared, the answer a guard gives, and the factories
 * (Express and Hono make their middleware from them; Fastify's guards are preHandlers of the
 * plugin's own).
 *
 * @internal
 * @packageDocumentation
 */
import { coreOf } from '../../core/context.js'
import { AuthError } from '../../core/errors.js'
import type { Requirement } from '../../core/guards.js'
import { type Duration, toSeconds } from '../../core/lib/duration.js'
import { kindOf } from '../../core/lib/kind.js'
import type { Auth, AuthContext } from '../../core/types/index.js'
import { handedOverUncalled, type MiddlewareCalls } from './wiring.js'

// --- where a guard is declared ---------------------------------------------------------------------

/** Guard arguments: names (strings), never anything else (`requireRoles` handed over uncalled). */
export function checkGuardNames(names: readonly unknown[], guard: string): string[] {
  for (const name of names)
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError(`tokenward: ${guard}(…) takes names (non-empty strings), got ${kindOf(name)}`)
  return names as string[]
}

/** How a guard reads in messages: `requireRoles('admin')`. */
function guardCall(name: string, names: readonly string[]): string {
  return `${name}(${names.map((n) => `'${n}'`).join(', ')})`
}

/**
 * The `maxAge` of `requireFresh(…)` (and of `config.auth` or `protect`), in seconds: a duration
 * (`'5m'`) or a number of seconds. A typo fails where the guard is declared, not on the first
 * request.
 */
export function freshSeconds(value: unknown, where = 'requireFresh(maxAge)'): number {
  if (typeof value !== 'number' && typeof value !== 'string')
    throw new TypeError(`tokenward: ${where} takes a duration such as '5m' or seconds, got ${kindOf(value)}`)
  const seconds = toSeconds(value as Duration, where)
  if (seconds <= 0) throw new TypeError(`tokenward: ${where} must be more than 0 s`)
  return seconds
}

/**
 * The requirement of a route's options (Hono `protect`, Fastify `config.auth`, fetch
 * `authenticateRequest`): `roles`, `scopes` and `permissions` lists of strings, `maxAge` a duration
 * (made seconds) — any one of them is a requirement (a `maxAge` alone asks for a fresh login);
 * `undefined` when none is given. Checked where the route is declared, not on its first request.
 */
export function requirementOf(options: Requirement, where: string): Requirement | undefined {
  for (const name of ['roles', 'scopes', 'permissions'] as const) {
    const list: unknown = options[name]
    if (list !== undefined && (!Array.isArray(list) || list.some((v) => typeof v !== 'string')))
      throw new TypeError(`tokenward: ${where}: \`${name}\` must be a list of strings`)
  }
  const { roles, scopes, permissions, maxAge } = options
  if (!roles && !scopes && !permissions && maxAge === undefined) return undefined
  return {
    ...(roles && { roles }),
    ...(scopes && { scopes }),
    ...(permissions && { permissions }),
    ...(maxAge !== undefined && { maxAge: freshSeconds(maxAge, `maxAge of ${where}`) }),
  }
}

// --- on a request ------------------------------------------------------------------------------------

/** `undefined` when the context meets the requirement, else the error to answer. */
export function unmet(
  auth: Auth<object, unknown>,
  ctx: AuthContext<object, unknown>,
  requirement: Requirement | undefined,
): unknown {
  if (!requirement) return undefined
  try {
    auth.authorize(ctx, requirement)
    return undefined
  } catch (err) {
    return err
  }
}

/**
 * The 401 a guard answers after an optional `authenticate` that found no credentials, in the
 * Auth's realm (the default realm for an Auth that `createAuth` did not make).
 */
export function noCredentials(auth: Auth<object, unknown>): AuthError {
  const realm = coreOf(auth)?.settings.realm
  return new AuthError('token_missing', 'no bearer token was presented', realm === undefined ? {} : { realm })
}

// --- the factories -------------------------------------------------------------------------------------

/** What a framework gives the guard factories. */
export interface GuardWiring<M> {
  calls: MiddlewareCalls
  /** The framework's middleware that checks `requirement` against what authenticate found. */
  guard(name: string, call: string, requirement: Requirement): M
  /** The fix a message names for a guard handed over uncalled, e.g. `app.get(path, <call>, handler)`. */
  fix(call: string): string
}

/** The five guard factories of one adapter; each takes the arguments its public function got. */
export interface GuardFactories<M> {
  requireAuth(args: unknown[]): M
  requireRoles(args: unknown[]): M
  requireScopes(args: unknown[]): M
  requirePermissions(args: unknown[]): M
  requireFresh(args: unknown[]): M
}

type Listed = 'roles' | 'scopes' | 'permissions'
const LISTED: Record<Listed, [factory: string, middleware: string]> = {
  roles: ['requireRoles', 'tokenwardRequireRoles'],
  scopes: ['requireScopes', 'tokenwardRequireScopes'],
  permissions: ['requirePermissions', 'tokenwardRequirePermissions'],
}

/**
 * The guard factories of an adapter. Each first tells a factory handed over uncalled
 * (`app.use(requireRoles)`: a 500 naming the fix, never a hang or an open route), then checks
 * its arguments where the guard is declared, then builds the framework's middleware.
 */
export function guardFactories<M>({ calls, guard, fix }: GuardWiring<M>): GuardFactories<M> {
  // The framework was told already; what the factory returns then is never used.
  const uncalled = (args: unknown[], name: string, call: string) =>
    handedOverUncalled(calls, args, name, fix(call))
  const listed = (claim: Listed) => (args: unknown[]) => {
    const [factory, middleware] = LISTED[claim]
    if (uncalled(args, factory, `${factory}(…)`)) return undefined as M
    const names = checkGuardNames(args, factory)
    return guard(middleware, guardCall(factory, names), { [claim]: names })
  }
  return {
    requireAuth(args) {
      if (uncalled(args, 'requireAuth', 'requireAuth()')) return undefined as M
      checkGuardNames(args, 'requireAuth')
      return guard('tokenwardRequireAuth', 'requireAuth()', {})
    },
    requireRoles: listed('roles'),
    requireScopes: listed('scopes'),
    requirePermissions: listed('permissions'),
    requireFresh(args) {
      if (uncalled(args, 'requireFresh', "requireFresh('5m')")) return undefined as M
      const maxAge = freshSeconds(args[0])
      return guard('tokenwardRequireFresh', `requireFresh(${maxAge})`, { maxAge })
    },
  }
}
