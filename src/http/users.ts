/**
 * Users as the auth routes see them: the default claims of a user, what `/me` may show, and the
 * password module (loaded on the first login only, so the core stays free of argon2).
 */
import type { ClaimsInput, DefaultClaims } from '../core/types.js'
import type { AuthRouteOptions } from './types.js'

/** What the routes use of `tokenward/password`. */
export interface PasswordModule {
  hashPassword(password: string, options?: AuthRouteOptions['passwordOptions']): Promise<string>
  verifyPassword(hash: string, password: string): Promise<boolean>
  needsRehash(hash: string, options?: AuthRouteOptions['passwordOptions']): boolean
}

let passwordModule: Promise<PasswordModule> | undefined
/** `tokenward/password`, imported on first use. */
export function loadPasswords(): Promise<PasswordModule> {
  passwordModule ??= import('../password/index.js') as Promise<PasswordModule>
  return passwordModule
}

/** Default claims of a user: `sub` from `id` (or `sub`, `_id`), plus `roles` / `scope` / `permissions`. */
export function defaultClaimsFor(user: unknown): ClaimsInput<DefaultClaims> {
  const u = (user ?? {}) as Record<string, unknown>
  const id = u.id ?? u.sub ?? u._id
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new TypeError('tokenward: the user has no `id`; give the auth routes a `claimsFor(user)`')
  }
  const claims: ClaimsInput<DefaultClaims> = { sub: String(id) }
  if (Array.isArray(u.roles)) claims.roles = u.roles.filter((r): r is string => typeof r === 'string')
  else if (typeof u.role === 'string') claims.roles = [u.role]
  if (typeof u.scope === 'string') claims.scope = u.scope
  if (Array.isArray(u.permissions))
    claims.permissions = u.permissions.filter((p): p is string => typeof p === 'string')
  return claims
}

/** The user without its private fields (shallow; non-objects as they are). */
export function publicUser(user: unknown, privateFields: readonly string[]): unknown {
  if (typeof user !== 'object' || user === null || Array.isArray(user)) return user
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(user)) if (!privateFields.includes(name)) out[name] = value
  return out
}
