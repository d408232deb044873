/**
 * Claim checks (RFC 7519 §4.1, RFC 8725 §3.8–3.10): time claims with a clock tolerance, issuer,
 * audience, and the claims each token kind requires. Pure functions of the payload and the rules.
 */
import { AuthError } from '../errors.js'
import type { TokenKind, VerifyProfile } from './tokens.js'

/** The registered claims tokenward sets on every token it issues. */
export interface RegisteredClaims {
  /** Issuer (`issuer` option). */
  iss?: string
  /** Subject: the user id. */
  sub: string
  /** Audience (`audience` option). */
  aud?: string | string[]
  /**
   * Issued at, epoch seconds: a whole number in the tokens tokenward issues (RFC 7519 NumericDate;
   * the milliseconds that keep `revokeSubject` exact travel in the `jti`).
   */
  iat: number
  /** Expiry, epoch seconds. */
  exp: number
  /** Not before, epoch seconds (tokenward never sets it, but checks it). */
  nbf?: number
  /**
   * Token id, base64url: the millisecond of the issue within the `iat` second (2 characters), then
   * 128 random bits.
   * Under `verifyProfile: 'jwt'`, a third-party token may have none.
   */
  jti: string
  /** Family id: shared by every token rotated from one login. */
  fid?: string
  /**
   * Refresh tokens: the token's place in its session's chain (the login's is 0; a rotation of `n`
   * mints `n + 1`, however often it is retried). Docs/security.md, S1.
   */
  gen?: number
}

/** `sub`: a non-empty string, else a `TypeError` naming the call (a programming mistake, not a client's). */
export function checkSubject(sub: unknown, call: string): string {
  if (typeof sub !== 'string' || sub.length === 0)
    throw new TypeError(`tokenward: ${call} needs a non-empty string subject (\`sub\`)`)
  return sub
}

/** Claim names tokenward owns; callers cannot set them through `issueTokens`. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'iat',
  'exp',
  'nbf',
  'jti',
  'fid',
  'gen',
  'pur',
  'auth_time',
  'cnf',
])

/** What {@link checkClaims} checks against. */
export interface ClaimRules {
  /** Now, epoch seconds. */
  now: number
  /** Clock tolerance, seconds. */
  tolerance: number
  /** Accepted issuers (any one); `undefined`: any. */
  issuers?: readonly string[] | undefined
  audience?: readonly string[] | undefined
  /** `'jwt'`: an access token may lack `jti` (and its `fid` is not ours to check). */
  profile?: VerifyProfile | undefined
}

const invalid = (claim: string, message: string) => new AuthError('token_claim_invalid', message, { claim })
const isNumericDate = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** Checks time claims, issuer, audience and required claims. Throws the matching {@link AuthError}. */
export function checkClaims(
  payload: Record<string, unknown>,
  kind: TokenKind,
  rules: ClaimRules,
): RegisteredClaims {
  const { now, tolerance } = rules
  // RFC 8725 §3.10 and DESIGN.md: `exp` is required.
  if (payload.exp === undefined) throw invalid('exp', 'the token has no expiry (exp)')
  if (!isNumericDate(payload.exp)) throw invalid('exp', 'the token expiry (exp) is not a number')
  if (payload.exp <= now - tolerance)
    throw new AuthError('token_expired', 'the token has expired', { claim: 'exp' })
  if (payload.nbf !== undefined) {
    if (!isNumericDate(payload.nbf)) throw invalid('nbf', 'the token nbf is not a number')
    if (payload.nbf > now + tolerance)
      throw new AuthError('token_not_active', 'the token is not valid yet (nbf)', { claim: 'nbf' })
  }
  if (payload.iat === undefined) throw invalid('iat', 'the token has no issue time (iat)')
  if (!isNumericDate(payload.iat)) throw invalid('iat', 'the token iat is not a number')
  if (payload.iat > now + tolerance)
    throw new AuthError('token_not_active', 'the token was issued in the future (iat)', { claim: 'iat' })

  if (rules.issuers !== undefined && !rules.issuers.includes(payload.iss as string))
    throw invalid('iss', 'the token issuer (iss) is not accepted')
  if (rules.audience !== undefined) {
    const aud = payload.aud
    const given = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
    if (!given.some((a) => typeof a === 'string' && rules.audience!.includes(a))) {
      throw invalid('aud', 'the token audience (aud) is not accepted')
    }
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0)
    throw invalid('sub', 'the token has no subject (sub)')
  if (rules.profile === 'jwt' && kind === 'access') {
    // A third-party token: `jti` is optional (revocation then keys on the token's hash) and any
    // `fid` claim is the issuer's business, never a tokenward family.
    if (payload.jti !== undefined && (typeof payload.jti !== 'string' || payload.jti.length === 0))
      throw invalid('jti', 'the token id (jti) is not a non-empty string')
    return payload as unknown as RegisteredClaims
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0)
    throw invalid('jti', 'the token has no id (jti)')
  if (kind === 'refresh' && (typeof payload.fid !== 'string' || payload.fid.length === 0)) {
    throw invalid('fid', 'the refresh token has no family id (fid)')
  }
  if (payload.fid !== undefined && typeof payload.fid !== 'string')
    throw invalid('fid', 'the token family id (fid) is not a string')
  if (kind === 'one_time' && typeof payload.pur !== 'string')
    throw invalid('pur', 'the one-time token has no purpose (pur)')
  return payload as unknown as RegisteredClaims
}
