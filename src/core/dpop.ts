/**
 * DPoP (RFC 9449): sender-constrained tokens. A token request that carries a `DPoP` proof gets
 * tokens bound to the proof's key (`cnf.jkt`, the RFC 7638 SHA-256 thumbprint); a bound access
 * token is accepted only as `Authorization: DPoP <token>` with a proof for that very request, and
 * a bound refresh token is refreshed only with a proof of the same key (§5).
 *
 * Every proof goes through the checks of RFC 9449 §4.3, cheapest first, and the one store call
 * last: one header → compact JWS → `typ: dpop+jwt` → asymmetric alg in the allowlist → public
 * `jwk` → signature → `jti`, `htm`, `htu`, `iat` window → `ath` (only with an access token) →
 * server nonce (`dpop.nonce`) → the key the token is bound to → `jti` unused (TokenStore
 * `consume`, fail closed).
 *
 * Requests without DPoP never come here: authenticate looks at the Authorization scheme first,
 * and the bearer path only reads `claims.cnf` (a bound token is refused there, §7.2).
 */
import { calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose'
import type { AuthCore } from './context.js'
import { boundKey, checkBinding, type Presented } from './credentials/binding.js'
import { type Credentials, getHeader } from './credentials/index.js'
import type { CredentialsInput, HeadersInput } from './credentials/types.js'
import { AuthError, type DpopChallenge, isAuthError, storeCall, withOptions } from './errors.js'
import { sha256Base64url } from './keys/signature.js'
import { DPOP_NONCE_PERIOD, DPOP_PROOF_PREFIX, HEADER_DPOP, TYP_DPOP } from './lib/constants.js'
import type { DpopSettings } from './options/index.js'
import { type Verified, verifyNow } from './verify.js'

/** What a proof is checked against: the proof header, the method and the URL of the request. */
export interface ProofRequest {
  /** The `DPoP` header value (two headers arrive joined by a comma). */
  proof: string | null | undefined
  method: string | undefined
  /** Scheme + host + path (a query or fragment is ignored). */
  url: string | undefined
}

const MAX_JTI_LENGTH = 256
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/

const invalidProof = (message: string) => new AuthError('invalid_dpop_proof', message)

/** The DPoP header, method and URL of a request, from any authenticate input. */
export function proofRequestOf(input: CredentialsInput): ProofRequest {
  if (typeof input === 'string') return { proof: undefined, method: undefined, url: undefined }
  if (typeof (input as Request).headers?.get === 'function' && typeof (input as Request).url === 'string') {
    const request = input as Request
    return { proof: request.headers.get(HEADER_DPOP), method: request.method, url: request.url }
  }
  if ('headers' in input && input.headers) {
    const headers: HeadersInput = input.headers
    return { proof: getHeader(headers, HEADER_DPOP), method: input.method, url: input.url }
  }
  const flat = input as { dpop?: string | null; method?: string; url?: string }
  return { proof: flat.dpop, method: flat.method, url: flat.url }
}

// --- the challenge --------------------------------------------------------------------------------------

/** The current stateless nonce: an HMAC of the time bucket (the same on every instance). */
export function currentNonce(core: AuthCore): string | undefined {
  const keys = core.settings.dpop?.nonce
  if (!keys) return undefined
  return keys.tokenFor(String(Math.floor(core.now() / 1000 / DPOP_NONCE_PERIOD)))
}

function nonceValid(core: AuthCore, settings: DpopSettings, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 128) return false
  const bucket = Math.floor(core.now() / 1000 / DPOP_NONCE_PERIOD)
  const keys = settings.nonce!
  return keys.matches(String(bucket), given) || keys.matches(String(bucket - 1), given)
}

function challengeOf(core: AuthCore, settings: DpopSettings): DpopChallenge {
  return { algs: settings.algs, bearer: !settings.required, nonce: currentNonce(core) }
}

/** `err` answered with a DPoP challenge (RFC 9449 §7.1) and, with nonces on, the nonce to use. */
function challenged(core: AuthCore, settings: DpopSettings, err: unknown): unknown {
  if (!isAuthError(err) || err.dpop !== undefined) return err
  return withOptions(err, { dpop: challengeOf(core, settings) })
}

/**
 * For authenticate's failures: with DPoP on, a missing token is challenged for both schemes
 * (only DPoP when `required`), and in `required` mode every failure is a DPoP challenge.
 */
export function dpopChallengeFor(core: AuthCore, err: unknown): unknown {
  const settings = core.settings.dpop
  if (!settings || !isAuthError(err) || err.dpop !== undefined) return err
  return err.code === 'token_missing' || settings.required ? challenged(core, settings, err) : err
}

// --- the proof -------------------------------------------------------------------------------------------

/** RFC 3986 §6.2.2 and §6.2.3 (what the URL parser does, plus percent-encoding case): no query, no fragment. */
function normalUrl(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (encoded) => {
    const char = String.fromCharCode(Number.parseInt(encoded.slice(1), 16))
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded.toUpperCase()
  })
  return `${url.protocol}//${url.host}${path}`
}

/**
 * RFC 9449 §4.3 checks 2 and 4-7 — a JWT in compact form, `typ` dpop+jwt, an asymmetric algorithm
 * of the allowlist, a public key in the `jwk` header (RSA at least 2048 bits, RFC 7518 §3.3), the
 * signature by that key — are jose's: `jwtVerify` with `EmbeddedJWK`. What jose answers is
 * translated to `invalid_dpop_proof`, without jose's message (it may quote the proof).
 */
async function verifySigned(
  core: AuthCore,
  settings: DpopSettings,
  proof: string,
): Promise<{ payload: Record<string, unknown>; jwk: JWK }> {
  let verified: Awaited<ReturnType<typeof jwtVerify>>
  try {
    verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: TYP_DPOP,
      algorithms: [...settings.algorithms],
      currentDate: new Date(core.now()),
      clockTolerance: core.settings.tolerance,
    })
  } catch (err) {
    throw invalidProof(proofProblem(err, settings))
  }
  // RFC 7515 §4.1.11: no critical extension (jose would take `b64`; a proof has no use for it).
  if (verified.protectedHeader.crit !== undefined)
    throw invalidProof('the DPoP proof uses a header extension this server does not support')
  return { payload: verified.payload as Record<string, unknown>, jwk: verified.protectedHeader.jwk as JWK }
}

/** What jose found wrong with a proof, in words a client developer can act on. */
function proofProblem(err: unknown, settings: DpopSettings): string {
  const { code, claim } = err as { code?: string; claim?: string }
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return `the DPoP proof alg must be one of ${settings.algs}`
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'typ')
    return `the DPoP proof must have typ ${TYP_DPOP}`
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'the DPoP proof signature is invalid'
  if (code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
    return 'the DPoP proof claims are invalid (iat, exp, nbf)'
  // EmbeddedJWK: the jwk header holds a private or a symmetric key, or an RSA key under 2048 bits.
  if (/jwk|key/i.test(String((err as Error).message)))
    return 'the DPoP proof jwk must be a public EC, OKP or RSA (at least 2048 bits) key'
  return 'the DPoP proof is not a compact JWS with a public key in its jwk header (RFC 9449 §4.2)'
}

/** What a proof must show besides itself: the access token it goes with, the key a token is bound to. */
export interface ProofExpectation {
  /** The access token presented with it (resource requests): `ath` must be its hash. */
  accessToken?: string | undefined
  /** The thumbprint the token is bound to: the proof must be signed by that key. */
  jkt?: string | undefined
}

/** A proof that passed every check but the replay one: its key, and the id its use is recorded under. */
export interface CheckedProof {
  /** RFC 7638 thumbprint of the proof's key. */
  jkt: string
  /** The store id of its `jti` (scoped to the key), and until when to keep it (epoch s). */
  id: string
  until: number
}

/**
 * Checks one DPoP proof (RFC 9449 §4.3), all but the replay check: {@link spendProof} records its
 * `jti` — only once the request has passed its rate limit and its credentials (an anonymous proof
 * makes the server store nothing). Throws `invalid_dpop_proof` or `use_dpop_nonce`.
 */
export async function checkProof(
  core: AuthCore,
  settings: DpopSettings,
  request: ProofRequest,
  expect: ProofExpectation,
): Promise<CheckedProof> {
  const { proof } = request
  if (typeof proof !== 'string' || proof.length === 0) throw invalidProof('a DPoP proof header is required')
  // Check 1: exactly one DPoP header. Two arrive joined by ", "; a compact JWS has no comma or space.
  if (/[,\s]/.test(proof)) throw invalidProof('exactly one DPoP header with one proof is allowed')
  if (proof.length > core.settings.maxTokenLength) throw invalidProof('the DPoP proof is too long')
  const { payload, jwk } = await verifySigned(core, settings, proof)
  // Check 3 (the claims of §4.2), then 8 (htm), 9 (htu) and 11 (iat).
  const { jti, htm, htu, iat, ath } = payload
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    throw invalidProof('the DPoP proof needs a jti')
  if (typeof htm !== 'string' || htm !== request.method)
    throw invalidProof('the DPoP proof htm does not match the request method')
  const requestUrl = request.url === undefined ? undefined : normalUrl(request.url)
  if (requestUrl === undefined)
    throw invalidProof('the request URL is unknown, so the DPoP proof htu cannot be checked')
  if (typeof htu !== 'string' || normalUrl(htu) !== requestUrl)
    throw invalidProof('the DPoP proof htu does not match the request URL')
  const now = core.now() / 1000
  const { tolerance } = core.settings
  // Check 11: at most proofMaxAge old, and from the future only within the clock tolerance — so a
  // proof's replay record lives at most proofMaxAge + 2 × tolerance.
  if (
    typeof iat !== 'number' ||
    !Number.isFinite(iat) ||
    now - iat > settings.proofMaxAge ||
    iat - now > tolerance
  )
    throw invalidProof('the DPoP proof is too old or from the future (iat)')
  // Check 12: ath binds the proof to the access token; a token request has none to bind to.
  if (expect.accessToken !== undefined) {
    if (typeof ath !== 'string' || ath !== (await sha256Base64url(expect.accessToken)))
      throw invalidProof('the DPoP proof ath does not match the access token')
  } else if (ath !== undefined) {
    throw invalidProof('a DPoP proof for a token request must not carry ath')
  }
  // Check 10: the server's nonce, when it asks for one (§8, §9).
  if (settings.nonce && !nonceValid(core, settings, payload.nonce))
    throw new AuthError('use_dpop_nonce', 'the DPoP proof must carry the nonce of the DPoP-Nonce header')
  // Check 12: the key the token is bound to.
  const jkt = await calculateJwkThumbprint(jwk, 'sha256')
  if (expect.jkt !== undefined && jkt !== expect.jkt)
    throw invalidProof('the DPoP proof is signed by another key than the token is bound to')
  // I3: kept until no instance accepts it any more, however its clock stands within the tolerance.
  return {
    jkt,
    id: `${DPOP_PROOF_PREFIX}${jkt}:${jti}`,
    until: Math.ceil(iat) + settings.proofMaxAge + tolerance + 1,
  }
}

/** §11.1: each `jti` once per key within the window; a store failure refuses (fail closed). */
export async function spendProof(core: AuthCore, proof: CheckedProof): Promise<string> {
  if (!(await storeCall(() => core.store.consume(proof.id, proof.until))))
    throw invalidProof('the DPoP proof was already used (jti replay)')
  return proof.jkt
}

/** Checks one DPoP proof and records its `jti` at once: {@link checkProof}, then {@link spendProof}. */
export async function verifyProof(
  core: AuthCore,
  settings: DpopSettings,
  request: ProofRequest,
  expect: ProofExpectation,
): Promise<string> {
  return spendProof(core, await checkProof(core, settings, request, expect))
}

// --- tokens ------------------------------------------------------------------------------------------------

/** `cnf` of tokens bound to `jkt` (an RFC 7638 SHA-256 thumbprint: 43 base64url characters). */
export function confirmation(jkt: unknown): { jkt: string } {
  if (typeof jkt !== 'string' || !THUMBPRINT.test(jkt))
    throw new TypeError(
      'tokenward: `jkt` must be an RFC 7638 SHA-256 JWK thumbprint (43 base64url characters)',
    )
  return { jkt }
}

/**
 * The bearer path (any source but `Authorization: DPoP`): a token with a confirmation is refused
 * (RFC 9449 §7.2). One property read for an unbound token; synchronous.
 */
export function refuseBound<T extends object>(core: AuthCore, claims: T): T {
  if ((claims as { cnf?: unknown }).cnf === undefined) return claims
  const err = new AuthError(
    'token_invalid',
    'this token is bound to a key (DPoP): send it as "Authorization: DPoP <token>" with a DPoP proof',
  )
  const settings = core.settings.dpop
  throw settings ? challenged(core, settings, err) : err
}

/**
 * authenticate for `Authorization: DPoP <token>`, and for every request in `required` mode: the
 * token (revocation included), its binding, then the proof of this request with `ath`.
 */
export async function authenticateDpop(
  core: AuthCore,
  input: CredentialsInput,
  credentials: Credentials,
): Promise<Verified> {
  const settings = core.settings.dpop
  // DPoP off: the scheme is not one we take (as before DPoP existed).
  if (!settings) throw new AuthError('token_missing', 'no bearer token was presented')
  try {
    if (!credentials.dpop)
      throw new AuthError(
        'token_invalid',
        'only DPoP-bound tokens are accepted: send "Authorization: DPoP <token>" with a DPoP proof',
      )
    const claims = await verifyNow(core, credentials.token, 'access')
    const jkt = boundKey(claims)
    if (jkt === undefined)
      throw new AuthError(
        'token_invalid',
        'the token is not DPoP-bound: it cannot be sent with the DPoP scheme',
      )
    await verifyProof(core, settings, proofRequestOf(input), { accessToken: credentials.token, jkt })
    return claims
  } catch (err) {
    throw challenged(core, settings, err)
  }
}

/**
 * A request's proof, checked (all of RFC 9449 §4.3 but the replay record), or `undefined` when it
 * carries none (refused in `required` mode) or DPoP is off (the header is ignored, and the tokens
 * of a token request are bearer tokens: RFC 9449 §5 lets a client see it by `token_type`).
 * `expect.accessToken`: the token the proof must name (`ath`). Record it with {@link spendProof}
 * once the request has passed its rate limit and its credentials.
 */
export async function requestProof(
  core: AuthCore,
  request: ProofRequest,
  expect: ProofExpectation = {},
): Promise<CheckedProof | undefined> {
  const settings = core.settings.dpop
  if (!settings) return undefined
  try {
    if (request.proof === undefined || request.proof === null) {
      if (settings.required) throw invalidProof('a DPoP proof is required for this request')
      return undefined
    }
    return await checkProof(core, settings, request, expect)
  } catch (err) {
    throw challenged(core, settings, err)
  }
}

/** {@link requestProof}, its `jti` recorded at once: for a request whose token was already verified. */
export async function proofKey(
  core: AuthCore,
  request: ProofRequest,
  expect: ProofExpectation = {},
): Promise<string | undefined> {
  const proof = await requestProof(core, request, expect)
  if (proof === undefined) return undefined
  try {
    return await spendProof(core, proof)
  } catch (err) {
    throw challenged(core, core.settings.dpop!, err)
  }
}

/**
 * S3 for a token a request presents (refresh, step-up, logout, revoke): its binding against what
 * the request proved (credentials/binding.ts); with DPoP on, a refusal carries the DPoP challenge,
 * and in `required` mode an unbound token needs a proof too. Checked before anything is spent or
 * revoked, so a thief's attempt changes nothing. Returns the key the request proved or the token
 * is bound to: a token request binds its new tokens to it (an unbound refresh token presented with
 * a proof is bound from now on, RFC 9449 §5).
 */
export function requireBinding(
  core: AuthCore,
  claims: Record<string, unknown>,
  presented: Presented,
): string | undefined {
  const settings = core.settings.dpop
  try {
    checkBinding(claims, core.settings.clients, presented)
    const bound = boundKey(claims)
    if (bound === undefined && presented.jkt === undefined && settings?.required)
      throw invalidProof('a DPoP proof is required for this request')
    return bound ?? presented.jkt
  } catch (err) {
    const proofProblem = isAuthError(err) && err.code === 'invalid_dpop_proof'
    throw settings && proofProblem ? challenged(core, settings, err) : err
  }
}
