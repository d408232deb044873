/**
 * authenticate: credentials in → verify (revocation included) → user lookup → the context a route
 * sees. It answers synchronously when nothing on the way is asynchronous (a cached or natively
 * verified token, a synchronous store such as memoryStore, no user lookup), so adapters continue
 * the request in the same turn; `authenticateThen` is how they do it.
 */
import { type AuthCore, coreOf, withRealm } from './context.js'
import { resolveCookies } from './credentials/cookies.js'
import { tokenOf } from './credentials/index.js'
import { authenticateDpop, dpopChallengeFor, refuseBound } from './dpop.js'
import { AuthError, callbackFailure, isAuthError } from './errors.js'
import { checkRequirement, type Requirement, rolesOf, scopesOf } from './guards.js'
import { type Duration, toSeconds } from './lib/duration.js'
import type {
  AccessClaims,
  Auth,
  AuthContext,
  AuthenticateOptions,
  CredentialSource,
  CredentialsInput,
} from './types/index.js'
import { verifyNow } from './verify.js'

type Context = AuthContext<object, unknown>
type Claims = AccessClaims<object>

/** The user behind verified claims: `resolveUser`'s answer, or the claims without a resolver. */
export async function resolveUser(core: AuthCore, claims: Claims): Promise<unknown> {
  const resolver = core.options.resolveUser
  if (!resolver) return claims
  let user: unknown
  try {
    user = await resolver(claims)
  } catch (err) {
    throw callbackFailure(core.emit, 'resolveUser', err)
  }
  if (user === null || user === undefined)
    throw new AuthError('user_not_found', 'the user no longer exists or is inactive')
  return user
}

function contextOf(claims: Claims, user: unknown, token: string, source: CredentialSource): Context {
  return {
    token,
    claims,
    user,
    roles: rolesOf(claims as Record<string, unknown>),
    scopes: scopesOf(claims as Record<string, unknown>),
    source,
  }
}

function contextFor(
  core: AuthCore,
  claims: Claims,
  token: string,
  source: CredentialSource,
): Context | Promise<Context> {
  if (!core.options.resolveUser) return contextOf(claims, claims, token, source)
  return resolveUser(core, claims).then((user) => contextOf(claims, user, token, source))
}

/** The boundary of authenticate: realm applied, one `authentication_failed` event per AuthError. */
function failed(core: AuthCore, err: unknown): unknown {
  const e = withRealm(core, core.settings.dpop === undefined ? err : dpopChallengeFor(core, err))
  if (isAuthError(e)) core.emit({ type: 'authentication_failed', code: e.code, reason: e.message })
  return e
}

/**
 * `authenticate`, synchronous when it can be. Throws synchronously or rejects with the error,
 * never both, and emits `authentication_failed` once.
 */
export function authenticateNow(
  core: AuthCore,
  input: CredentialsInput,
  options?: AuthenticateOptions,
): Context | Promise<Context> {
  let result: Context | Promise<Context>
  try {
    const cookies =
      options?.cookies === undefined
        ? core.settings.cookies
        : resolveCookies(options.cookies, core.settings.csrf)
    const credentials = tokenOf(input, cookies)
    const { token, source } = credentials
    if (credentials.dpop || core.settings.dpop?.required === true) {
      // RFC 9449: the proof is checked asynchronously; only DPoP requests come here.
      result = authenticateDpop(core, input, credentials).then((claims) =>
        contextFor(core, claims as Claims, token, source),
      )
    } else {
      const verified = verifyNow(core, token, 'access') as Claims | Promise<Claims>
      // A DPoP-bound token is refused on this bearer path (RFC 9449 §7.2).
      result =
        verified instanceof Promise
          ? verified.then((claims) => contextFor(core, refuseBound(core, claims), token, source))
          : contextFor(core, refuseBound(core, verified), token, source)
    }
  } catch (err) {
    throw failed(core, err)
  }
  if (!(result instanceof Promise)) return result
  return result.catch((err: unknown) => {
    throw failed(core, err)
  })
}

/** `auth.authorize`: 403 unless the claims meet the requirement (role hierarchy applied). */
export function authorize(core: AuthCore, claims: Record<string, unknown>, requirement: Requirement): void {
  const permissions = Array.isArray(claims.permissions)
    ? claims.permissions.filter((p): p is string => typeof p === 'string')
    : []
  const { roleHierarchy, rolePermissions } = core.options
  try {
    checkRequirement({ roles: rolesOf(claims), scopes: scopesOf(claims), permissions }, requirement, {
      hierarchy: roleHierarchy,
      rolePermissions,
      realm: core.settings.realm,
    })
  } catch (err) {
    throw withRealm(core, err)
  }
  if (requirement.maxAge !== undefined) checkFresh(core, claims, requirement.maxAge)
}

/** RFC 9470: the login behind the token (`auth_time`) is at most `maxAge` old. */
function checkFresh(core: AuthCore, claims: Record<string, unknown>, maxAge: Duration): void {
  const seconds = typeof maxAge === 'number' ? maxAge : toSeconds(maxAge, 'maxAge')
  const authTime = claims.auth_time
  const age = typeof authTime === 'number' ? core.now() / 1000 - authTime : Number.POSITIVE_INFINITY
  if (age <= seconds + core.settings.tolerance) return
  throw new AuthError('insufficient_user_authentication', 'this needs a more recent login', {
    realm: core.settings.realm,
    maxAge: seconds,
  })
}

/**
 * For the adapters: authenticates and hands the context to `ok` (or the error to `fail`) in the
 * same turn when nothing on the way is asynchronous; otherwise once `auth.authenticate` settles.
 * An Auth that `createAuth` did not make (a test double) goes through its own `authenticate`.
 *
 * @internal
 */
export function authenticateThen<C extends object, U, R>(
  auth: Auth<C, U>,
  input: CredentialsInput,
  options: AuthenticateOptions | undefined,
  ok: (ctx: AuthContext<C, U>) => R,
  fail: (err: unknown) => R,
): R | Promise<Awaited<R>> {
  const core = coreOf(auth)
  let ctx: AuthContext<C, U> | Promise<AuthContext<C, U>>
  try {
    ctx = core
      ? (authenticateNow(core, input, options) as AuthContext<C, U> | Promise<AuthContext<C, U>>)
      : auth.authenticate(input, options)
  } catch (err) {
    return fail(err)
  }
  return ctx instanceof Promise ? (ctx.then(ok, fail) as Promise<Awaited<R>>) : ok(ctx)
}
