/**
 * Token kinds, compact JWS parsing, signing and signature checking. Parsing fails fast and cheaply,
 * in the order of RFC 8725 and DESIGN.md: length → three base64url segments → header → algorithm
 * allowlist → key → signature. Nothing here trusts the token to choose a key.
 */

import { AuthError } from '../errors.js'
import type { KeySet, ResolvedKey } from '../keys/index.js'
import { TYP_ACCESS, TYP_ONE_TIME, TYP_REFRESH } from '../lib/constants.js'
import {
  decodeBase64urlNumber,
  decodeBase64urlText,
  encodeBase64url,
  encodeBase64urlNumber,
  isCanonicalBase64url,
} from '../lib/encoding.js'

/** The three kinds of token tokenward issues. */
export type TokenKind = 'access' | 'refresh' | 'one_time'

/**
 * Which access tokens verification accepts: `'rfc9068'` (default) only tokenward's own shape
 * (`typ: at+jwt`, `jti` required); `'jwt'` also third-party identity providers' tokens (`typ: JWT`
 * or none, `jti` optional) — for verify-only configurations.
 */
export type VerifyProfile = 'rfc9068' | 'jwt'

/** The `typ` header of each kind. */
export const TYP_OF: Readonly<Record<TokenKind, string>> = {
  access: TYP_ACCESS,
  refresh: TYP_REFRESH,
  one_time: TYP_ONE_TIME,
}

const KIND_NAME: Record<TokenKind, string> = {
  access: 'an access token',
  refresh: 'a refresh token',
  one_time: 'a one-time token',
}

/** The protected header, as tokenward reads it. */
export interface TokenHeader {
  alg: string
  typ?: string
  kid?: string
  [parameter: string]: unknown
}

/** A compact JWS split and its header decoded; the payload is still encoded. */
export interface ParsedToken {
  header: TokenHeader
  headerSegment: string
  signingInput: string
  payloadSegment: string
  signature: string
  /** The decoded payload, once {@link decodePayload} has run (it is decoded at most once). */
  payload?: Record<string, unknown>
}

const malformed = (message: string) => new AuthError('token_malformed', message)

/** The whole compact form in one pass: three non-empty base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * Decoded headers of tokens whose signature checked out, keyed by the exact header segment. Every
 * token from one key shares its header, so a request skips decoding and re-checking it. Only a
 * header that came with a valid signature gets in, so a stream of garbage cannot fill it; a
 * header is pure data (decoding it needs no key), so sharing it between instances is safe.
 */
const knownHeaders = new Map<string, TokenHeader>()
const KNOWN_HEADERS_MAX = 256

/** Remembers the header of a token whose signature has been verified. */
export function rememberHeader(parsed: ParsedToken): void {
  if (knownHeaders.size >= KNOWN_HEADERS_MAX || knownHeaders.has(parsed.headerSegment)) return
  knownHeaders.set(parsed.headerSegment, Object.freeze(parsed.header))
}

/** Splits and checks the form of a compact JWS (RFC 7515 §7.1). Never looks at the signature. */
export function parseToken(token: unknown, maxLength: number): ParsedToken {
  if (typeof token !== 'string') throw malformed('the token must be a string')
  if (token.length === 0) throw malformed('the token is empty')
  if (token.length > maxLength) throw malformed(`the token is longer than ${maxLength} characters`)
  if (!COMPACT_JWS.test(token)) throw formError(token)
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  // Strict base64url (docs/security.md): one spelling per token, no ignored trailing bits.
  if (
    !isCanonicalBase64url(token, 0, first) ||
    !isCanonicalBase64url(token, first + 1, second) ||
    !isCanonicalBase64url(token, second + 1, token.length)
  )
    throw malformed('a token part is not canonical base64url (stray trailing bits or length)')
  const headerSegment = token.slice(0, first)
  const payloadSegment = token.slice(first + 1, second)
  const signature = token.slice(second + 1)
  const signingInput = token.slice(0, second)
  const header = knownHeaders.get(headerSegment) ?? decodeHeader(headerSegment)
  return { header, headerSegment, signingInput, payloadSegment, signature, payload: undefined }
}

/** The precise complaint about a token that is not three base64url parts. */
function formError(token: string): AuthError {
  const parts = token.split('.')
  if (parts.length !== 3) return malformed('the token is not a compact JWS (three dot-separated parts)')
  return malformed('the token has an empty or non-base64url part')
}

function decodeHeader(headerSegment: string): TokenHeader {
  let header: unknown
  try {
    header = JSON.parse(decodeBase64urlText(headerSegment))
  } catch {
    throw malformed('the token header is not base64url-encoded JSON')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw malformed('the token header is not a JSON object')
  const h = header as Record<string, unknown>
  if (typeof h.alg !== 'string') throw malformed('the token header has no algorithm')
  if (h.typ !== undefined && typeof h.typ !== 'string')
    throw malformed('the token header `typ` is not a string')
  if (h.kid !== undefined && typeof h.kid !== 'string')
    throw malformed('the token header `kid` is not a string')
  // RFC 7515 §4.1.11: a recipient that does not understand a `crit` extension must reject the JWS.
  // tokenward understands none (and `b64: false` would change what is signed).
  if (h.crit !== undefined || h.b64 !== undefined)
    throw malformed('the token header names critical extensions tokenward does not support')
  return h as TokenHeader
}

/**
 * Picks the key for a parsed token and checks the signature. The algorithm must be one the
 * configured keys allow (never `none`, never HMAC for an asymmetric key: RFC 8725 §3.1), the key
 * is chosen by `kid` from OUR key set only (`jku`, `x5u` and `jwk` headers are never followed),
 * and the key's own algorithm must equal the header's.
 */
export function checkSignature(parsed: ParsedToken, keys: KeySet): ResolvedKey | Promise<ResolvedKey> {
  const { alg, kid } = parsed.header
  if (!keys.algorithms.has(alg))
    throw new AuthError('token_invalid', `algorithm ${alg.slice(0, 16)} is not allowed`)
  if (keys.remote) {
    // Several issuers or a key resolver: the UNVERIFIED `iss` only picks which key set to try (and
    // must be a configured issuer before anything is fetched); the signature must then verify with
    // that set, and the claim checks still require `iss` to match.
    const iss = keys.needsIssuer ? decodePayload(parsed).iss : undefined
    return keys
      .remote(parsed.header, typeof iss === 'string' ? iss : undefined)
      .then((key) => tryKeys(parsed, [key], 0))
  }
  if (kid !== undefined) {
    const key = keys.byKid.get(kid)
    if (!key) throw new AuthError('token_invalid', 'the token was signed with an unknown key id')
    return tryKeys(parsed, [key], 0)
  }
  return tryKeys(parsed, keys.byAlg.get(alg as ResolvedKey['alg']) ?? [], 0)
}

/**
 * Tries the candidate keys from `from` on. Synchronous while the verifiers are (the native
 * backend), so the common request never waits for a microtask here; a Web Crypto verifier
 * continues asynchronously.
 */
function tryKeys(
  parsed: ParsedToken,
  candidates: readonly ResolvedKey[],
  from: number,
): ResolvedKey | Promise<ResolvedKey> {
  for (let i = from; i < candidates.length; i++) {
    const key = candidates[i] as ResolvedKey
    if (key.alg !== parsed.header.alg)
      throw new AuthError('token_invalid', 'the token algorithm does not match its key')
    const ok = key.verify(parsed.signingInput, parsed.signature)
    if (typeof ok !== 'boolean')
      return ok.then((valid) => (valid ? accept(parsed, key) : tryKeys(parsed, candidates, i + 1)))
    if (ok) return accept(parsed, key)
  }
  throw new AuthError('token_invalid', 'the token signature is invalid')
}

function accept(parsed: ParsedToken, key: ResolvedKey): ResolvedKey {
  rememberHeader(parsed)
  return key
}

/**
 * Decodes the payload (once per parsed token). Trust nothing in it before the signature is
 * checked; only a key-set choice by `iss` reads it earlier.
 */
export function decodePayload(parsed: ParsedToken): Record<string, unknown> {
  if (parsed.payload !== undefined) return parsed.payload
  let payload: unknown
  try {
    payload = JSON.parse(decodeBase64urlText(parsed.payloadSegment))
  } catch {
    throw malformed('the token payload is not base64url-encoded JSON')
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw malformed('the token payload is not a JSON object')
  parsed.payload = payload as Record<string, unknown>
  return parsed.payload
}

const normalizeTyp = (typ: string) => {
  const lower = typ.toLowerCase()
  // RFC 7515 §4.1.9: "application/" may be omitted from a media type in `typ`.
  return lower.startsWith('application/') ? lower.slice(12) : lower
}

/** The kind a `typ` header names, if it names one of ours. */
export function kindOfTyp(typ: string | undefined): TokenKind | undefined {
  if (typ === undefined) return undefined
  const t = normalizeTyp(typ)
  if (t === TYP_ACCESS) return 'access'
  if (t === TYP_REFRESH) return 'refresh'
  if (t === TYP_ONE_TIME) return 'one_time'
  return undefined
}

/**
 * Under `verifyProfile: 'jwt'`, the `typ` values an access token may carry: none, `JWT` (RFC 7519
 * §5.1; Auth0, Keycloak, Firebase) or `at+jwt` (RFC 9068) — `application/` prefixed or not.
 */
export function isThirdPartyAccessTyp(typ: string | undefined): boolean {
  if (typ === undefined) return true
  const t = normalizeTyp(typ)
  return t === 'jwt' || t === TYP_ACCESS
}

/**
 * RFC 8725 §3.11: explicit typing — a token of one kind is never accepted as another. Under the
 * `'jwt'` profile an access token may also be untyped or `JWT`; refresh and one-time tokens, and
 * any other explicit type, are still refused.
 */
export function checkType(
  header: TokenHeader,
  expected: TokenKind,
  profile: VerifyProfile = 'rfc9068',
): void {
  const actual = kindOfTyp(header.typ)
  if (actual === expected) return
  if (profile === 'jwt' && expected === 'access' && isThirdPartyAccessTyp(header.typ)) return
  const what = actual
    ? KIND_NAME[actual]
    : header.typ === undefined
      ? 'a token without a type'
      : 'a token of a foreign type'
  throw new AuthError('token_wrong_type', `${what} cannot be used as ${KIND_NAME[expected]}`)
}

/**
 * Signs a payload as a compact JWS with the given key and `typ`. Every token tokenward issues
 * passes here, so this is where its issue instant is written: `payload.iat` arrives with
 * millisecond precision (`issueAt`) and leaves as whole seconds — the RFC 7519 NumericDate every
 * verifier reads (PyJWT and jose's `maxTokenAge` reject a fractional `iat` as "issued in the
 * future" for the rest of its second) — while its milliseconds go in front of the `jti`
 * ({@link stampId}), which keeps `revokeSubject` exact within a second.
 */
export async function signToken(
  key: ResolvedKey,
  kind: TokenKind,
  payload: Record<string, unknown>,
): Promise<string> {
  if (!key.sign) throw new TypeError('tokenward: no key can sign (verify-only configuration)')
  const header: Record<string, string> = { alg: key.alg, typ: TYP_OF[kind] }
  if (key.kid !== undefined) header.kid = key.kid
  const signingInput = `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(stamped(payload)))}`
  return `${signingInput}.${await key.sign(signingInput)}`
}

/** `iat` in whole seconds, its milliseconds in the `jti` stamp. */
function stamped(payload: Record<string, unknown>): Record<string, unknown> {
  const { iat, jti } = payload
  if (typeof iat !== 'number') return payload
  const ms = Math.round(iat * 1000)
  const out: Record<string, unknown> = { ...payload, iat: Math.floor(ms / 1000) }
  if (typeof jti === 'string') out.jti = stampId(ms, jti)
  return out
}

/** Characters of the millisecond stamp in front of the `jti`s tokenward writes. */
const STAMP_LENGTH = 2
/** Length of a {@link randomId}. */
const RANDOM_ID_LENGTH = 22

/**
 * A `jti` that starts with the millisecond of its token's issue instant within the `iat` second
 * (000–999, 2 base64url characters), then the 128 random bits of `id`. Still unique and opaque to
 * everyone else (RFC 7519 §4.1.7).
 */
export function stampId(issuedAtMs: number, id: string): string {
  return encodeBase64urlNumber(issuedAtMs % 1000, STAMP_LENGTH) + id
}

/**
 * A token's issue instant, epoch seconds: a whole-second `iat` refined to the millisecond by the
 * stamp in front of its `jti` ({@link stampId}); otherwise `iat` itself (a token of an older
 * tokenward, whose `iat` carried the milliseconds, or of another issuer). Runs on every request,
 * so it reads two characters and divides once — `(iat * 1000 + ms) / 1000` rounds exactly like the
 * cutoff's `ms / 1000`, so equal instants compare equal.
 */
export function issueInstant(iat: number, jti: unknown): number {
  if (typeof jti !== 'string' || jti.length !== STAMP_LENGTH + RANDOM_ID_LENGTH || !Number.isInteger(iat))
    return iat
  const ms = decodeBase64urlNumber(jti, 0, STAMP_LENGTH)
  return ms >= 0 && ms < 1000 ? (iat * 1000 + ms) / 1000 : iat
}

/** 128 random bits, base64url (the `jti` and `fid` of every token). */
export function randomId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return encodeBase64url(bytes)
}
