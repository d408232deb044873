/** Roles (with a hierarchy), scopes and permissions: the checks behind `auth.authorize`. */

import { AuthError } from './errors.js'
import type { Duration } from './lib/duration.js'

/** What a route requires. Roles: any one of them (after the hierarchy). Scopes and permissions: all. */
export interface Requirement {
  /** Any one of these roles; a role also grants every role below it in `roleHierarchy`. */
  roles?: readonly string[]
  /** All of these OAuth scopes (from the `scope` claim, space-separated, or the `scp` / `scopes` arrays). */
  scopes?: readonly string[]
  /** All of these permissions (from the `permissions` claim and `rolePermissions`). */
  permissions?: readonly string[]
  /**
   * A fresh login: the user authenticated (`auth_time`) at most this long ago — `'5m'` or seconds —
   * else 401 `insufficient_user_authentication` with RFC 9470's `max_age` challenge.
   */
  maxAge?: Duration
}

/** `{ admin: ['editor'], editor: ['user'] }`: an admin is also an editor and a user. */
export type RoleHierarchy = Readonly<Record<string, readonly string[]>>

/**
 * Appends the non-empty strings of `list` to `out` (a fresh array: cached claims are shared), each
 * only once when `out` already holds another claim's values.
 */
function addStrings(out: string[], list: readonly unknown[]): void {
  const merge = out.length > 0
  for (let i = 0; i < list.length; i++) {
    const v = list[i]
    if (typeof v === 'string' && v.length > 0 && !(merge && out.includes(v))) out.push(v)
  }
}

/** Appends the space-separated words of `text` (RFC 6749 §3.3) not yet in `out`. */
function addWords(out: string[], text: string): void {
  if (text.length > 0) addStrings(out, text.split(' '))
}

/**
 * Roles from the claims: the strings of a `roles` array, plus a single `role` string (as Supabase
 * and many hand-rolled tokens carry it). Anything of another type is ignored.
 */
export function rolesOf(claims: Record<string, unknown>): string[] {
  const { roles, role } = claims
  const out: string[] = []
  if (Array.isArray(roles)) addStrings(out, roles)
  if (typeof role === 'string' && role.length > 0 && !out.includes(role)) out.push(role)
  return out
}

/**
 * Scopes from the claims, each type-checked: `scope`, a space-separated string (RFC 8693 §4.2,
 * RFC 9068 §2.2.3); `scp`, an array (Okta) or a space-separated string (Microsoft Entra ID); and
 * `scopes`, an array. A claim of another type is ignored; arrays keep only their strings. A token
 * carrying several grants their union.
 */
export function scopesOf(claims: Record<string, unknown>): string[] {
  const { scope, scp, scopes } = claims
  const out: string[] = []
  if (typeof scope === 'string') addWords(out, scope)
  if (typeof scp === 'string') addWords(out, scp)
  else if (Array.isArray(scp)) addStrings(out, scp)
  if (Array.isArray(scopes)) addStrings(out, scopes)
  return out
}

/** Expands roles through the hierarchy (transitively; cycles are harmless). */
export function expandRoles(roles: readonly string[], hierarchy: RoleHierarchy | undefined): Set<string> {
  const out = new Set<string>()
  const stack = [...roles]
  while (stack.length > 0) {
    const role = stack.pop()!
    if (out.has(role)) continue
    out.add(role)
    if (hierarchy && Object.hasOwn(hierarchy, role)) stack.push(...(hierarchy[role] ?? []))
  }
  return out
}

/** Throws `insufficient_role` / `insufficient_scope` when the requirement is not met. */
export function checkRequirement(
  granted: { roles: readonly string[]; scopes: readonly string[]; permissions: readonly string[] },
  requirement: Requirement,
  options: {
    hierarchy?: RoleHierarchy | undefined
    rolePermissions?: RoleHierarchy | undefined
    realm: string
  },
): void {
  const needRoles = requirement.roles ?? []
  const needPermissions = requirement.permissions ?? []
  const expanded =
    needRoles.length > 0 || needPermissions.length > 0
      ? expandRoles(granted.roles, options.hierarchy)
      : undefined
  if (needRoles.length > 0 && !needRoles.some((r) => expanded!.has(r))) {
    throw new AuthError('insufficient_role', `this needs one of the roles: ${needRoles.join(', ')}`, {
      realm: options.realm,
    })
  }
  if (needPermissions.length > 0) {
    const have = new Set(granted.permissions)
    if (options.rolePermissions) {
      for (const role of expanded!) {
        if (Object.hasOwn(options.rolePermissions, role))
          for (const p of options.rolePermissions[role] ?? []) have.add(p)
      }
    }
    const missing = needPermissions.filter((p) => !have.has(p))
    if (missing.length > 0) {
      throw new AuthError('insufficient_role', `this needs the permissions: ${missing.join(', ')}`, {
        realm: options.realm,
      })
    }
  }
  const needScopes = requirement.scopes ?? []
  if (needScopes.length > 0) {
    const have = new Set(granted.scopes)
    if (!needScopes.every((s) => have.has(s))) {
      throw new AuthError('insufficient_scope', `this needs the scopes: ${needScopes.join(' ')}`, {
        realm: options.realm,
        scope: needScopes.join(' '),
      })
    }
  }
}
