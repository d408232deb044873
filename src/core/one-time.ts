/**
 * One-time tokens (password reset, e-mail verification …): `typ: ott+jwt`, a purpose claim `pur`,
 * spent atomically through the store so a second use fails even when both arrive at once.
 */

import { type AuthCore, withRealm } from './context.js'
import { AuthError, storeCall } from './errors.js'
import { baseClaims, customClaims, issueAt, signingKey } from './issue.js'
import { checkSubject, type RegisteredClaims } from './jws/claims.js'
import { randomId, signToken } from './jws/tokens.js'
import type { Duration } from './lib/duration.js'
import { durationOption } from './options/validate.js'
import { verify } from './verify.js'

/** `auth.issueOneTimeToken`. */
export async function issueOneTimeToken(
  core: AuthCore,
  purpose: string,
  sub: string,
  ttl: Duration = '15m',
  claims: Record<string, unknown> = {},
): Promise<string> {
  if (typeof purpose !== 'string' || purpose.length === 0)
    throw new TypeError('tokenward: a one-time token needs a purpose')
  checkSubject(sub, 'issueOneTimeToken')
  const seconds = durationOption(ttl, 'ttl', { min: 1, fallback: '15m' })
  const key = await signingKey(core)
  const iat = issueAt(core)
  return signToken(key, 'one_time', {
    ...customClaims(claims),
    ...baseClaims(core, sub, iat),
    exp: Math.floor(iat) + seconds,
    jti: randomId(),
    pur: purpose,
  })
}

/** `auth.consumeOneTimeToken`: verifies, checks the purpose, spends; returns the subject. */
export async function consumeOneTimeToken(core: AuthCore, token: string, purpose: string): Promise<string> {
  const claims = (await verify(core, token, 'one_time')) as RegisteredClaims & { pur?: unknown }
  try {
    if (claims.pur !== purpose)
      throw new AuthError('token_claim_invalid', 'the one-time token was issued for another purpose', {
        claim: 'pur',
      })
    const until = claims.exp + core.settings.tolerance
    const first = await storeCall(() => core.store.consume(claims.jti, until, claims.sub))
    if (!first) throw new AuthError('token_revoked', 'the one-time token has already been used')
  } catch (err) {
    throw withRealm(core, err)
  }
  core.emit({ type: 'one_time_token_consumed', sub: claims.sub, purpose })
  return claims.sub
}
