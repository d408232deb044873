/**
 * refresh: rotation with reuse detection (RFC 9700 §4.14.2). The order of the steps is the whole
 * security argument, so it stands at the top of one function:
 *
 *   verify → re-read the user and claims → spend → (reuse: revoke the family) → sign → touch the
 *   session record (best effort, sessions.ts)
 *
 * Nothing that can fail for a reason of the server's own (the user lookup, `claimsFor`) runs after
 * the token is spent, so such a failure leaves the token unspent and the client's retry works.
 * A retry whose answer was lost after the spend (the store executed `consume` but its answer timed
 * out on our side, or the response never reached the client) is accepted within `reuseGrace`
 * (default 10 s), at most {@link GRACE_RETRIES} times; any other return of a spent token revokes
 * the whole family.
 */

import { resolveUser } from './authenticate.js'
import { type AuthCore, callback, storeCall, withRealm } from './context.js'
import { refreshBinding } from './dpop.js'
import { AuthError, isAuthError } from './errors.js'
import { customClaims, issueAt, signAccess, signPair } from './issue.js'
import type { RegisteredClaims } from './jws/claims.js'
import { revokeFamily, touchSession } from './sessions.js'
import type { AccessClaims, RefreshOptions, TokenPair } from './types/index.js'
import { verify } from './verify.js'

type RefreshClaims = Record<string, unknown> & RegisteredClaims & { fid: string }

/** Presentations of one spent refresh token accepted within the grace window, after the first. */
export const GRACE_RETRIES = 2

/**
 * Spends the refresh token. `true`: this presentation may rotate (the first, or a retry within the
 * grace window); `false`: a spent token came back — reuse.
 *
 * With a grace window, every presentation is counted first (one atomic increment whose window
 * starts at the first presentation), then the token is spent. A retry sees a count of 2 or more
 * and a spent token: accepted while the count allows. A token spent long ago sees a count of 1 (its
 * window is over) and a spent token: reuse. The count comes first so that a count that failed
 * cannot follow a spend that happened.
 */
async function spend(core: AuthCore, { jti, exp, sub }: RefreshClaims): Promise<boolean> {
  const { reuseGrace } = core.settings
  if (reuseGrace <= 0) return storeCall(() => core.store.consume(jti, exp, sub))
  const presentation = await storeCall(() => core.store.hit(`refresh:${jti}`, reuseGrace, 1))
  const first = await storeCall(() => core.store.consume(jti, exp, sub))
  return first || (presentation >= 2 && presentation <= 1 + GRACE_RETRIES)
}

/** Claims of the next tokens: re-read through `resolveUser` and `claimsFor` so role changes apply. */
/**
 * Claims that belong to the session, not to the user, so a refresh carries them over whatever
 * `claimsFor` says: when the user last proved who they are (RFC 9068 `auth_time`), the client the
 * session was issued to (`client_id`), and the key it is bound to (RFC 9449 `cnf`).
 */
const SESSION_CLAIMS = ['auth_time', 'client_id', 'cnf'] as const

async function nextClaims(
  core: AuthCore,
  claims: RefreshClaims,
  claimsFor: RefreshOptions<object, unknown>['claimsFor'],
): Promise<Record<string, unknown>> {
  const custom = await userClaims(core, claims, claimsFor)
  for (const name of SESSION_CLAIMS) if (claims[name] !== undefined) custom[name] = claims[name]
  return custom
}

async function userClaims(
  core: AuthCore,
  claims: RefreshClaims,
  claimsFor: RefreshOptions<object, unknown>['claimsFor'],
): Promise<Record<string, unknown>> {
  if (!core.options.resolveUser && !claimsFor) return customClaims(claims)
  let user: unknown
  try {
    user = await resolveUser(core, claims as unknown as AccessClaims<object>)
  } catch (err) {
    // A deleted or deactivated user: the session ends with them.
    if (isAuthError(err) && err.code === 'user_not_found') await revokeFamily(core, claims.fid, claims.sub)
    throw err
  }
  if (!claimsFor) return customClaims(claims)
  return customClaims(
    (await callback(core.emit, 'claimsFor', () => claimsFor(user))) as Record<string, unknown>,
  )
}

/** `rotateRefreshTokens: false`: a new access token, the same refresh token (still revocable). */
async function keep(core: AuthCore, token: string, claims: RefreshClaims, custom: Record<string, unknown>) {
  const accessToken = await signAccess(core, claims.sub, custom, claims.fid)
  const remaining = Math.max(0, Math.floor(claims.exp - core.now() / 1000))
  const pair: TokenPair = {
    accessToken,
    refreshToken: token,
    tokenType: custom.cnf === undefined ? 'Bearer' : 'DPoP',
    expiresIn: core.settings.accessTtl,
    refreshExpiresIn: remaining,
  }
  return pair
}

/** `auth.refresh`. */
export async function refresh(
  core: AuthCore,
  token: string,
  options?: RefreshOptions<object, unknown>,
): Promise<TokenPair> {
  try {
    const claims = (await verify(core, token, 'refresh')) as RefreshClaims
    const { sub, fid } = claims
    // RFC 9449 §5: a bound refresh token needs a proof of its key — checked before anything is spent.
    const jkt = refreshBinding(core, claims, options?.jkt)
    const custom = await nextClaims(core, claims, options?.claimsFor ?? core.options.claimsFor)
    if (jkt !== undefined) custom.cnf = { jkt }
    if (!core.settings.rotateRefreshTokens) {
      const pair = await keep(core, token, claims, custom)
      await touchSession(core, sub, fid, issueAt(core), pair)
      core.emit({ type: 'token_refreshed', sub, fid })
      return pair
    }
    if (!(await spend(core, claims))) {
      await revokeFamily(core, fid, sub)
      core.emit({ type: 'refresh_reused', sub, fid })
      throw new AuthError(
        'refresh_token_reused',
        'the refresh token was already used; its session has been revoked',
      )
    }
    const pair = await signPair(core, sub, custom, fid)
    await touchSession(core, sub, fid, issueAt(core), pair)
    core.emit({ type: 'token_refreshed', sub, fid })
    return pair
  } catch (err) {
    throw withRealm(core, err)
  }
}
