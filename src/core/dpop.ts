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
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose'
import { type AuthCore, storeCall } from './context.js'
import { type Credentials, getHeader } from './credentials/index.js'
import type { CredentialsInput, HeadersInput } from './credentials/types.js'
import { AuthError, type DpopChallenge, isAuthError } from './errors.js'
import { type Algorithm, createVerifier, sha256Base64url } from './keys/signature.js'
import { DPOP_NONCE_PERIOD, HEADER_DPOP, TYP_DPOP } from './lib/constants.js'
import { decodeBase64url, decodeBase64urlText, isCanonicalBase64url } from './lib/encoding.js'
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

/** RFC 9449 §4.3 check 6: a public key carries none of these. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const ASYMMETRIC_KTY: ReadonlySet<string> = new Set(['EC', 'RSA', 'OKP'])
const MAX_JTI_LENGTH = 256
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/
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
  return new AuthError(err.code, err.message, {
    realm: err.realm,
    scope: err.scope,
    retryAfter: err.retryAfter,
    claim: err.claim,
    maxAge: err.maxAge,
    cause: err.cause,
    dpop: challengeOf(core, settings),
  })
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

/** A strict base64url segment of JSON object text, decoded. */
function decodeJson(segment: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    if (!isCanonicalBase64url(segment, 0, segment.length)) throw new Error('not canonical')
    value = JSON.parse(decodeBase64urlText(segment))
  } catch {
    throw invalidProof(`the DPoP proof ${what} is not base64url JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidProof(`the DPoP proof ${what} is not a JSON object`)
  return value as Record<string, unknown>
}

/** A proof split and its header checked (RFC 9449 §4.3 checks 1, 2, 4, 5 and 7). */
interface ParsedProof {
  alg: Algorithm
  jwk: JWK
  signingInput: string
  signature: string
  payload: Record<string, unknown>
}

function parseProof(proof: string, settings: DpopSettings, maxLength: number): ParsedProof {
  // Check 1: exactly one DPoP header. Two arrive joined by ", "; a compact JWS has no comma or space.
  if (/[,\s]/.test(proof)) throw invalidProof('exactly one DPoP header with one proof is allowed')
  if (proof.length > maxLength) throw invalidProof('the DPoP proof is too long')
  // Check 2: a JWT in compact JWS form.
  const parts = COMPACT_JWS.exec(proof)
  if (!parts) throw invalidProof('the DPoP proof is not a compact JWS')
  const header = decodeJson(parts[1]!, 'header')
  // RFC 7515 §4.1.11: we understand no critical extension (b64: false included).
  if (header.crit !== undefined || header.b64 !== undefined)
    throw invalidProof('the DPoP proof uses a header extension this server does not support')
  // Check 4: typ.
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== TYP_DPOP)
    throw invalidProof(`the DPoP proof must have typ ${TYP_DPOP}`)
  // Check 5: an asymmetric algorithm we accept (never none, never a MAC).
  const { alg, jwk } = header
  if (typeof alg !== 'string' || !settings.algorithms.includes(alg))
    throw invalidProof(`the DPoP proof alg must be one of ${settings.algs}`)
  // Check 7: a public key, and nothing but a public key.
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw invalidProof('the DPoP proof must carry its public key in the jwk header')
  const key = jwk as Record<string, unknown>
  if (typeof key.kty !== 'string' || !ASYMMETRIC_KTY.has(key.kty))
    throw invalidProof('the DPoP proof jwk must be an EC, RSA or OKP public key')
  for (const member of PRIVATE_MEMBERS)
    if (key[member] !== undefined) throw invalidProof('the DPoP proof jwk must not contain a private key')
  // RFC 7518 §3.3: RSA keys of at least 2048 bits.
  if (key.kty === 'RSA' && (typeof key.n !== 'string' || decodeBase64url(key.n).length < 256))
    throw invalidProof('the DPoP proof RSA key must be at least 2048 bits')
  const payload = decodeJson(parts[2]!, 'payload')
  return {
    alg: alg as Algorithm,
    jwk: key as JWK,
    signingInput: `${parts[1]}.${parts[2]}`,
    signature: parts[3]!,
    payload,
  }
}

/** Check 6: the signature, with the key the proof carries (tokenward's own verifiers, native where it can). */
async function checkSignature({ alg, jwk, signingInput, signature }: ParsedProof): Promise<void> {
  let valid = false
  try {
    const key = await importJWK(jwk, alg)
    if (key instanceof Uint8Array) throw new Error('not a public key')
    valid = await createVerifier({ alg, verifyKey: key }).verify(signingInput, signature)
  } catch {
    valid = false
  }
  if (!valid) throw invalidProof('the DPoP proof signature is invalid')
}

/** What a proof must show besides itself: the access token it goes with, the key a token is bound to. */
export interface ProofExpectation {
  /** The access token presented with it (resource requests): `ath` must be its hash. */
  accessToken?: string | undefined
  /** The thumbprint the token is bound to: the proof must be signed by that key. */
  jkt?: string | undefined
}

/**
 * Checks one DPoP proof (RFC 9449 §4.3) and spends its `jti`; resolves to the key's RFC 7638
 * thumbprint. Throws `invalid_dpop_proof`, `use_dpop_nonce`, or `store_unavailable` (fail closed).
 */
export async function verifyProof(
  core: AuthCore,
  settings: DpopSettings,
  request: ProofRequest,
  expect: ProofExpectation,
): Promise<string> {
  const { proof } = request
  if (typeof proof !== 'string' || proof.length === 0) throw invalidProof('a DPoP proof header is required')
  const parsed = parseProof(proof, settings, core.settings.maxTokenLength)
  await checkSignature(parsed)
  const { jwk, payload } = parsed
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
  if (typeof iat !== 'number' || !Number.isFinite(iat) || Math.abs(now - iat) > settings.proofMaxAge)
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
  // §11.1: each jti once per key within the window; a store failure refuses (fail closed).
  const until = Math.ceil(iat) + settings.proofMaxAge + 1
  if (!(await storeCall(() => core.store.consume(`dpop:${jkt}:${jti}`, until))))
    throw invalidProof('the DPoP proof was already used (jti replay)')
  return jkt
}

// --- tokens ------------------------------------------------------------------------------------------------

/** The thumbprint a token is bound to (`cnf.jkt`), or `undefined`. */
export function boundKey(claims: Record<string, unknown>): string | undefined {
  const cnf = claims.cnf
  if (typeof cnf !== 'object' || cnf === null) return undefined
  const jkt = (cnf as { jkt?: unknown }).jkt
  return typeof jkt === 'string' ? jkt : undefined
}

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
 * A token request (login, `/token`, refresh): the thumbprint of its proof's key, or `undefined`
 * when it carries none (refused in `required` mode) or DPoP is off (the header is ignored, and
 * the tokens are bearer tokens: RFC 9449 §5 lets a client see it by `token_type`).
 */
export async function tokenRequestKey(core: AuthCore, request: ProofRequest): Promise<string | undefined> {
  const settings = core.settings.dpop
  if (!settings) return undefined
  try {
    if (request.proof === undefined || request.proof === null) {
      if (settings.required) throw invalidProof('a DPoP proof is required for this token request')
      return undefined
    }
    return await verifyProof(core, settings, request, {})
  } catch (err) {
    throw challenged(core, settings, err)
  }
}

/**
 * The key the tokens of a refresh are bound to. A bound refresh token needs a proof of its own
 * key (RFC 9449 §5, public clients); an unbound one presented with a proof gets bound from now on.
 * Checked before the token is spent, so a thief's attempt spends nothing.
 */
export function refreshBinding(
  core: AuthCore,
  claims: Record<string, unknown>,
  jkt: string | undefined,
): string | undefined {
  const bound = boundKey(claims)
  const settings = core.settings.dpop
  let problem: string | undefined
  if (bound !== undefined && jkt === undefined)
    problem = 'this refresh token is DPoP-bound: the request needs a DPoP proof of its key'
  else if (bound !== undefined && jkt !== bound)
    problem = 'the DPoP proof is signed by another key than the refresh token is bound to'
  else if (bound === undefined && jkt === undefined && settings?.required)
    problem = 'a DPoP proof is required for this token request'
  if (problem === undefined) return bound ?? jkt
  const err = invalidProof(problem)
  throw settings ? challenged(core, settings, err) : err
}

/** Where `createAuth` puts the DPoP operations the auth routes need (they see only the Auth object). */
export const DPOP_ROUTES = Symbol.for('tokenward.dpop')

/** What the auth routes call (http/dpop.ts). @internal */
export interface DpopRoutes {
  /** The proof key of a token request, or `undefined` (see {@link tokenRequestKey}). */
  tokenRequestKey(request: ProofRequest): Promise<string | undefined>
  /** The nonce to send in `DPoP-Nonce` with a token response, when nonces are on. */
  nonce(): string | undefined
}

/** The DPoP operations of one Auth, for the auth routes. */
export function dpopRoutes(core: AuthCore): DpopRoutes {
  return {
    tokenRequestKey: (request) => tokenRequestKey(core, request),
    nonce: () => currentNonce(core),
  }
}
