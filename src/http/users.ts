/**
 * Users as the auth routes see them: the default claims of a user, what `/me` may show, and the
 * password module (loaded on the first login only, so the core stays free of argon2).
 */
import type { ClaimsInput, DefaultClaims } from '../core/types/index.js'
import type { AuthRouteOptions } from './types.js'

/** What the routes use of `tokenward/password`. */
export interface PasswordModule {
  hashPassword(password: string, options?: AuthRouteOptions['passwordOptions']): Promise<string>
  verifyPassword(hash: string, password: string): Promise<boolean>
  needsRehash(hash: string, options?: AuthRouteOptions['passwordOptions']): boolean
}

let passwordModule: Promise<PasswordModule> | undefined
/**
 * `tokenward/password`, imported on first use, by the package's own name (tsup leaves it an
 * import): its `exports` give Workers and browser bundles a module without the argon2 loader, so
 * a bundle of the auth routes starts there (src/password/unsupported.ts).
 */
export function loadPasswords(): Promise<PasswordModule> {
  passwordModule ??= import('tokenward/password') as Promise<PasswordModule>
  return passwordModule
}

/** A user's id, as the default claims read it: `id`, else `sub`, else `_id` (a string or a number). */
export function userIdOf(user: unknown): string | undefined {
  if (typeof user !== 'object' || user === null) return undefined
  const u = user as Record<string, unknown>
  const id = u.id ?? u.sub ?? u._id
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined
}

/** Default claims of a user: `sub` from its id ({@link userIdOf}), plus `roles` / `scope` / `permissions`. */
export function defaultClaimsFor(user: unknown): ClaimsInput<DefaultClaims> {
  const sub = userIdOf(user)
  if (sub === undefined)
    throw new TypeError('tokenward: the user has no `id`; give the auth routes a `claimsFor(user)`')
  const u = user as Record<string, unknown>
  const claims: ClaimsInput<DefaultClaims> = { sub }
  if (Array.isArray(u.roles)) claims.roles = u.roles.filter((r): r is string => typeof r === 'string')
  else if (typeof u.role === 'string') claims.roles = [u.role]
  if (typeof u.scope === 'string') claims.scope = u.scope
  if (Array.isArray(u.permissions))
    claims.permissions = u.permissions.filter((p): p is string => typeof p === 'string')
  return claims
}

/**
 * Values that look like a stored password hash, whatever the field is called: PHC and crypt(3)
 * strings (`$argon2id$…`, `$2b$…` bcrypt, `$pbkdf2-sha256$…`, `$scrypt$…`, `$6$…`, `$y$…`) and
 * Django's (`pbkdf2_sha256$…`, `argon2$…`, `bcrypt_sha256$…`).
 */
const PASSWORD_HASH =
  /^(?:\$(?:argon2(?:id|i|d)?|2[abxy]|pbkdf2(?:-sha\d+)?|scrypt|bcrypt(?:-sha256)?|sha\d+|[1567y])\$|(?:pbkdf2_sha\d+|argon2|bcrypt(?:_sha256)?|scrypt)\$)/i

/** True when `value` looks like a stored password hash. */
export function looksLikePasswordHash(value: unknown): boolean {
  return typeof value === 'string' && PASSWORD_HASH.test(value)
}

const MAX_DEPTH = 8

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A value with every password-hash-like string (and `secret`) taken out, recursively. */
function scrub(value: unknown, secret: string | undefined, depth: number): unknown {
  if (depth > MAX_DEPTH) return value
  if (Array.isArray(value))
    return value
      .filter((v) => !(looksLikePasswordHash(v) || (secret !== undefined && v === secret)))
      .map((v) => scrub(v, secret, depth + 1))
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [name, v] of Object.entries(value)) {
    if (looksLikePasswordHash(v) || (secret !== undefined && v === secret)) continue
    out[name] = scrub(v, secret, depth + 1)
  }
  return out
}

/**
 * What `GET /me` shows of a user: without its private fields (by name, top level), without the
 * value `passwordHashOf` reads (`hash`, whatever field holds it), and without any value that looks
 * like a password hash, at any depth. Non-objects are returned as they are.
 */
export function publicUser(user: unknown, privateFields: readonly string[], hash?: string): unknown {
  const secret = typeof hash === 'string' && hash.length > 0 ? hash : undefined
  if (typeof user !== 'object' || user === null || Array.isArray(user)) return scrub(user, secret, 0)
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(user)) {
    if (privateFields.includes(name)) continue
    if (looksLikePasswordHash(value) || (secret !== undefined && value === secret)) continue
    out[name] = scrub(value, secret, 1)
  }
  return out
}

/** What an app's own `toPublicUser` returned, with password-hash-like values still taken out. */
export function scrubPasswordHashes(shown: unknown, hash?: string): unknown {
  return scrub(shown, typeof hash === 'string' && hash.length > 0 ? hash : undefined, 0)
}
