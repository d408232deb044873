/**
 * Issuing: a new login's access + refresh token pair (a new token family), and the signing that
 * refresh and one-time tokens share. Registered claims are tokenward's; callers set the rest.
 */

import { type AuthCore, keysOf, withRealm } from './context.js'
import { type CheckedProof, confirmation, spendProof } from './dpop.js'
import { checkSubject, RESERVED_CLAIMS } from './jws/claims.js'
import { randomId, signToken } from './jws/tokens.js'
import type { ResolvedKey } from './keys/index.js'
import { admitLogin, recordSession } from './sessions.js'
import type { ClaimsInput, IssueOptions, TokenPair } from './types/index.js'

/** The caller's own claims: everything but the registered ones tokenward sets. */
export function customClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(claims)) if (!RESERVED_CLAIMS.has(name)) out[name] = value
  return out
}

/**
 * Issue instant, epoch seconds with millisecond precision. `signToken` writes it as a whole-second
 * `iat` plus a millisecond stamp in the `jti`. Monotonic past the last subject cutoff of this
 * process: a token issued right after `revokeSubject` is always after the cutoff, even within the
 * same millisecond.
 */
export function issueAt(core: AuthCore): number {
  return Math.max(core.now(), core.lastCutoffMs + 1) / 1000
}

/** The key that signs; a verify-only configuration (remote JWKS, public keys only) cannot issue. */
export async function signingKey(core: AuthCore): Promise<ResolvedKey> {
  const keys = await keysOf(core)
  if (!keys.signing)
    throw new TypeError(
      'tokenward: this configuration is verify-only (no private key to sign with): to issue tokens give ' +
        '`secret`, or put a private key first in `keys` (PEM -----BEGIN PRIVATE KEY-----, a JWK with `d`, or ' +
        'a private CryptoKey); `jwks`, `keyResolver` and public keys only verify',
    )
  return keys.signing
}

/** `iss`, `sub`, `aud`, `iat`: what every token of this Auth carries. */
export function baseClaims(core: AuthCore, sub: string, iat: number): Record<string, unknown> {
  const { issuer, audienceClaim } = core.settings
  return {
    ...(issuer !== undefined ? { iss: issuer } : {}),
    sub,
    ...(audienceClaim !== undefined ? { aud: audienceClaim } : {}),
    iat,
  }
}

/** Signs an access token of family `fid`. */
export async function signAccess(
  core: AuthCore,
  sub: string,
  custom: Record<string, unknown>,
  fid: string,
): Promise<string> {
  const key = await signingKey(core)
  const iat = issueAt(core)
  const exp = Math.floor(iat) + core.settings.accessTtl
  return signToken(key, 'access', { ...baseClaims(core, sub, iat), exp, jti: randomId(), fid, ...custom })
}

/**
 * Signs an access + refresh token pair of family `fid`, its refresh token at place `gen` of the
 * session's chain: the ONE function that mints refresh tokens (S1 — a login mints place 0,
 * `refresh.ts` `rotate` every later one).
 */
export async function signPair(
  core: AuthCore,
  sub: string,
  custom: Record<string, unknown>,
  fid: string,
  gen: number,
): Promise<TokenPair> {
  const key = await signingKey(core)
  const { accessTtl, refreshTtl } = core.settings
  const iat = issueAt(core)
  const base = baseClaims(core, sub, iat)
  const [accessToken, refreshToken] = await Promise.all([
    signToken(key, 'access', { ...base, exp: Math.floor(iat) + accessTtl, jti: randomId(), fid, ...custom }),
    signToken(key, 'refresh', {
      ...base,
      exp: Math.floor(iat) + refreshTtl,
      jti: randomId(),
      fid,
      ...custom,
      gen,
    }),
  ])
  return {
    accessToken,
    refreshToken,
    // RFC 9449 §5: a pair bound to a DPoP key is announced as such.
    tokenType: custom.cnf === undefined ? 'Bearer' : 'DPoP',
    expiresIn: accessTtl,
    refreshExpiresIn: refreshTtl,
    sessionId: fid,
  }
}

/** `auth.issueTokens`: a new login, a new token family — a session, with its record (sessions.ts). */
export async function issueTokens(
  core: AuthCore,
  input: ClaimsInput<object>,
  /** `proof`: the login request's DPoP proof, recorded only once the login is admitted. */
  options?: IssueOptions & { proof?: CheckedProof | undefined },
): Promise<TokenPair> {
  if (typeof input !== 'object' || input === null)
    throw new TypeError('tokenward: issueTokens needs a claims object')
  const sub = checkSubject(input.sub, 'issueTokens')
  for (const name of Object.keys(input)) {
    if (name !== 'sub' && RESERVED_CLAIMS.has(name))
      throw new TypeError(`tokenward: claim \`${name}\` is set by tokenward`)
  }
  const fid = randomId()
  const custom = customClaims(input as Record<string, unknown>)
  // RFC 9068 §2.2.1: when the user authenticated; it travels unchanged across refreshes.
  custom.auth_time = Math.floor(core.now() / 1000)
  // RFC 9068 §2.2: access tokens name the client they were issued to.
  if (custom.client_id === undefined && core.settings.clientId !== undefined)
    custom.client_id = core.settings.clientId
  // Issue 22: an account past its daily budget of ended sessions keeps nothing, not even its proof.
  await admitLogin(core, sub).catch((err: unknown) => {
    throw withRealm(core, err)
  })
  // RFC 9449 §6: bound to the key of the token request's DPoP proof (its jti recorded now).
  const jkt = options?.proof ? await spendProof(core, options.proof) : options?.jkt
  if (jkt !== undefined) custom.cnf = confirmation(jkt)
  const pair = await signPair(core, sub, custom, fid, 0)
  await recordSession(core, sub, fid, issueAt(core), pair, options)
  core.emit({ type: 'tokens_issued', sub, fid })
  return pair
}
