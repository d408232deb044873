/**
 * Verification, in the order of RFC 8725 and DESIGN.md, failing fast and cheaply:
 * cache → parse (length, form, header) → signature → typ → claims → schema → revocation.
 *
 * The common path (keys loaded, native verifier, no claims schema, a synchronous store) runs
 * without a promise; any asynchronous step on the way (key import still running, Web Crypto, a
 * remote JWKS, a schema, a networked store) turns the rest into one.
 */

import { type AuthCore, keysOf, rejectWithRealm } from './context.js'
import { AuthError, storeFailure } from './errors.js'
import { checkClaims, RESERVED_CLAIMS, type RegisteredClaims } from './jws/claims.js'
import {
  checkSignature,
  checkType,
  decodePayload,
  issueInstant,
  type ParsedToken,
  parseToken,
  type TokenKind,
} from './jws/tokens.js'
import { sha256Base64url } from './keys/signature.js'

/** Verified claims: the registered ones plus the app's. */
export type Verified = Record<string, unknown> & RegisteredClaims

/** Deep-freezes JSON data (claims): cached claims are shared between requests. */
function freeze(value: object): void {
  if (Object.isFrozen(value)) return
  Object.freeze(value)
  for (const name in value) {
    const v = (value as Record<string, unknown>)[name]
    if (typeof v === 'object' && v !== null) freeze(v)
  }
}

async function runSchema(core: AuthCore, claims: Record<string, unknown>): Promise<Record<string, unknown>> {
  const schema = core.options.claimsSchema
  if (!schema) return claims
  const result = await schema['~standard'].validate(claims)
  if (result.issues) {
    const first = result.issues[0]?.message ?? 'invalid claims'
    throw new AuthError('token_claim_invalid', `the token claims were rejected: ${first}`)
  }
  const value = (result.value ?? claims) as Record<string, unknown>
  // The registered claims stay the verified ones: a schema that strips or transforms them must
  // not change what the cache's expiry and the revocation check read (exp, jti, fid, sub, iat).
  const out: Record<string, unknown> = { ...value }
  for (const name of RESERVED_CLAIMS) if (claims[name] !== undefined) out[name] = claims[name]
  return out
}

function remember(core: AuthCore, token: string, kind: TokenKind, claims: Record<string, unknown>): Verified {
  freeze(claims)
  if (kind === 'access' && core.verifiedTokens)
    core.verifiedTokens.set(token, claims, claims.exp as number, core.now())
  return claims as Verified
}

function checkPayload(
  core: AuthCore,
  token: string,
  parsed: ParsedToken,
  kind: TokenKind,
): Verified | Promise<Verified> {
  const { tolerance, issuers, audiences, profile } = core.settings
  checkType(parsed.header, kind, profile)
  const payload = decodePayload(parsed)
  checkClaims(payload, kind, { now: core.now() / 1000, tolerance, issuers, audience: audiences, profile })
  if (core.options.claimsSchema)
    return runSchema(core, payload).then((claims) => remember(core, token, kind, claims))
  return remember(core, token, kind, payload)
}

/** Signature, type and claim checks: everything but revocation. */
export function verifyStateless(
  core: AuthCore,
  token: string,
  kind: TokenKind,
): Verified | Promise<Verified> {
  if (kind === 'access' && core.verifiedTokens) {
    const hit = core.verifiedTokens.get(token, core.now())
    if (hit) return hit as Verified
  }
  const parsed = parseToken(token, core.settings.maxTokenLength)
  const keys = keysOf(core)
  if (keys instanceof Promise)
    return keys.then((k) => checkSignature(parsed, k)).then(() => checkPayload(core, token, parsed, kind))
  const signed = checkSignature(parsed, keys)
  if (signed instanceof Promise) return signed.then(() => checkPayload(core, token, parsed, kind))
  return checkPayload(core, token, parsed, kind)
}

const revoked = () => new AuthError('token_revoked', 'the token has been revoked')

/** True when `claims` are a third-party token's (`verifyProfile: 'jwt'`, access token without our typ rules). */
function isForeign(core: AuthCore, kind: TokenKind): boolean {
  return core.settings.profile === 'jwt' && kind === 'access'
}

/**
 * The id a token is revoked under: its `jti`, or — a third-party token without one — the SHA-256
 * of the whole token (base64url). Synchronous on the native backend.
 */
export function revocationId(token: string, jti: unknown): string | Promise<string> {
  return typeof jti === 'string' ? jti : sha256Base64url(token)
}

/**
 * Rejects when the token, its family or its subject's cutoff is revoked: ONE store call.
 * `undefined` when a synchronous store (memoryStore) said "not revoked", so the caller needs no
 * promise; throws synchronously when it said "revoked" or failed.
 *
 * The cutoff compares the token's issue instant: to the millisecond for tokenward's own tokens
 * (`issueInstant`), to the second for third-party ones (a token issued in the second of a
 * `revokeSubject` counts as before it).
 */
export function checkRevoked(
  core: AuthCore,
  claims: Verified,
  token: string,
  kind: TokenKind,
): Promise<void> | undefined {
  if (isForeign(core, kind)) {
    const id = revocationId(token, claims.jti)
    if (typeof id !== 'string') return id.then((hash) => askStore(core, [hash], claims.sub, claims.iat))
    return askStore(core, [id], claims.sub, claims.iat)
  }
  const ids = claims.fid ? [claims.jti, claims.fid] : [claims.jti]
  return askStore(core, ids, claims.sub, issueInstant(claims.iat, claims.jti))
}

function askStore(
  core: AuthCore,
  ids: readonly string[],
  subject: string,
  issuedAt: number,
): Promise<void> | undefined {
  let answer: Promise<boolean> | boolean
  try {
    answer = core.store.isRevoked(ids, { subject, issuedAt })
  } catch (err) {
    throw storeFailure(err)
  }
  if (typeof answer === 'boolean') {
    if (answer) throw revoked()
    return undefined
  }
  return answer.then(
    (isRevoked) => {
      if (isRevoked) throw revoked()
    },
    (err: unknown) => {
      throw storeFailure(err)
    },
  )
}

/** Every check, revocation included. Synchronous when nothing on the way is asynchronous. */
export function verifyNow(core: AuthCore, token: string, kind: TokenKind): Verified | Promise<Verified> {
  const stateless = verifyStateless(core, token, kind)
  if (stateless instanceof Promise)
    return stateless.then((claims) => afterRevocation(core, claims, token, kind))
  return afterRevocation(core, stateless, token, kind)
}

function afterRevocation(
  core: AuthCore,
  claims: Verified,
  token: string,
  kind: TokenKind,
): Verified | Promise<Verified> {
  const pending = checkRevoked(core, claims, token, kind)
  return pending === undefined ? claims : pending.then(() => claims)
}

/** `verifyNow` as a promise, with the realm applied to its AuthError (the public `verify*` calls). */
export function verify(core: AuthCore, token: string, kind: TokenKind): Promise<Verified> {
  try {
    const verified = verifyNow(core, token, kind)
    return verified instanceof Promise
      ? verified.catch((err: unknown) => rejectWithRealm(core, err))
      : Promise.resolve(verified)
  } catch (err) {
    return rejectWithRealm(core, err)
  }
}
