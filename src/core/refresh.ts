/**
 * refresh: rotation with reuse detection (RFC 9700 §4.14.2). The order of the steps is the whole
 * security argument, so it stands at the top of one function: verify → spend → (reuse: revoke the
 * family) → re-read the user and claims → sign the next pair of the same family.
 */

import { resolveUser } from './authenticate.js'
import type { RegisteredClaims } from './claims.js'
import { type AuthCore, callback, storeCall, withRealm } from './context.js'
import { AuthError, isAuthError } from './errors.js'
import { customClaims, signPair } from './issue.js'
import type { AccessClaims, RefreshOptions, TokenPair } from './types.js'
import { verify } from './verify.js'

type RefreshClaims = Record<string, unknown> & RegisteredClaims & { fid: string }

/** Revokes the whole family `fid` for as long as any of its tokens could live. */
export function revokeFamily(core: AuthCore, fid: string, sub: string): Promise<void> {
  const until = core.now() / 1000 + core.settings.familyLifetime
  return storeCall(() => core.store.revoke(fid, until, sub))
}

/** Spends the refresh token; `false` when it was already spent (outside the reuse grace). */
async function spend(core: AuthCore, { jti, exp, sub }: RefreshClaims): Promise<boolean> {
  const { reuseGrace } = core.settings
  if (reuseGrace <= 0) return storeCall(() => core.store.consume(jti, exp, sub))
  // The grace mark is set by the first attempt and expires `reuseGrace` later; a retry while it
  // lives is a lost response, not a theft.
  const firstAttempt = await storeCall(() =>
    core.store.consume(`grace:${jti}`, core.now() / 1000 + reuseGrace, sub),
  )
  const spent = !(await storeCall(() => core.store.consume(jti, exp, sub)))
  return !spent || !firstAttempt
}

/** Claims of the next pair: re-read through `resolveUser` and `claimsFor` so role changes apply. */
async function nextClaims(
  core: AuthCore,
  claims: RefreshClaims,
  claimsFor: RefreshOptions<object, unknown>['claimsFor'],
): Promise<Record<string, unknown>> {
  if (!core.options.resolveUser && !claimsFor) return customClaims(claims)
  let user: unknown
  try {
    user = await resolveUser(core, claims as unknown as AccessClaims<object>)
  } catch (err) {
    if (isAuthError(err) && err.code === 'user_not_found') await revokeFamily(core, claims.fid, claims.sub)
    throw err
  }
  if (!claimsFor) return customClaims(claims)
  return customClaims(
    (await callback(core.emit, 'claimsFor', () => claimsFor(user))) as Record<string, unknown>,
  )
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
    if (!(await spend(core, claims))) {
      await revokeFamily(core, fid, sub)
      core.emit({ type: 'refresh_reused', sub, fid })
      throw new AuthError(
        'refresh_token_reused',
        'the refresh token was already used; its session has been revoked',
      )
    }
    const custom = await nextClaims(core, claims, options?.claimsFor ?? core.options.claimsFor)
    const pair = await signPair(core, sub, custom, fid)
    core.emit({ type: 'token_refreshed', sub, fid })
    return pair
  } catch (err) {
    throw withRealm(core, err)
  }
}
