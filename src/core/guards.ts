/** Roles (with a hierarchy), scopes and permissions: the checks behind `auth.authorize`. */
import { AuthError } from './errors.js'

/** What a route requires. Roles: any one of them (after the hierarchy). Scopes and permissions: all. */
export interface Requirement {
  /** Any one of these roles; a role also grants every role below it in `roleHierarchy`. */
  roles?: readonly string[]
  /** All of these OAuth scopes (from the `scope` claim, space-separated, or `scp` array). */
  scopes?: readonly string[]
  /** All of these permissions (from the `permissions` claim and `rolePermissions`). */
  permissions?: readonly string[]
}

/** `{ admin: ['editor'], editor: ['user'] }`: an admin is also an editor and a user. */
export type RoleHierarchy = Readonly<Record<string, readonly string[]>>

/** Roles from the claims: a `roles` array, or a single `role` string. */
/** A fresh array of the strings in `list` (cached claims are shared; the copy is the caller's). */
function strings(list: readonly unknown[]): string[] {
  const out: string[] = []
  for (let i = 0; i < list.length; i++) {
    const v = list[i]
    if (typeof v === 'string') out.push(v)
  }
  return out
}

export function rolesOf(claims: Record<string, unknown>): string[] {
  const { roles, role } = claims
  if (Array.isArray(roles)) return strings(roles)
  if (typeof role === 'string') return [role]
  return []
}

/** Scopes from the claims: RFC 8693 `scope` (space-separated) or an `scp` array. */
export function scopesOf(claims: Record<string, unknown>): string[] {
  const { scope, scp } = claims
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean)
  if (Array.isArray(scp)) return strings(scp)
  return []
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
