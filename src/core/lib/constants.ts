/** Protocol strings in one place (STYLE.md: constants for protocol strings live in one place). */

/** RFC 9068 §2.1: access tokens carry `typ: "at+jwt"`. */
export const TYP_ACCESS = 'at+jwt'
/** Refresh tokens: a distinct `typ`, so neither kind passes where the other is expected. */
export const TYP_REFRESH = 'refresh+jwt'
/** One-time tokens (password reset, e-mail verification, …). */
export const TYP_ONE_TIME = 'ott+jwt'

export const DEFAULT_REALM = 'tokenward'
export const DEFAULT_MAX_TOKEN_LENGTH = 8192

export const DEFAULT_ACCESS_TTL = '15m'
export const DEFAULT_REFRESH_TTL = '7d'
export const DEFAULT_CLOCK_TOLERANCE = '5s'
/** How long a retry of a refresh whose answer was lost is accepted (docs/security.md). */
export const DEFAULT_REUSE_GRACE = '10s'
/** Live sessions per user (docs/sessions.md): a login past it ends the oldest. */
export const DEFAULT_MAX_SESSIONS_PER_USER = 100
/** Sessions one account may lose to its own new logins (the cap) per day, before its logins wait (429). */
export const SESSION_EVICTION_WINDOW = 86_400
/** A page of the session list (GET /sessions), unless the client asks for fewer. */
export const DEFAULT_SESSION_PAGE = 50

export const HEADER_WWW_AUTHENTICATE = 'WWW-Authenticate'
export const HEADER_RETRY_AFTER = 'Retry-After'
export const DEFAULT_CSRF_HEADER = 'x-csrf-token'

/** Cookie names before their prefix (`__Host-` / `__Secure-` when the cookies are `Secure`). */
export const DEFAULT_COOKIE_NAMES = {
  access: 'tw_access',
  refresh: 'tw_refresh',
  csrf: 'tw_csrf',
} as const

/**
 * RFC 6265bis §4.1.3: a `__Host-` cookie is Secure, host-only and `Path=/`, so no sibling subdomain
 * and no other path can set or shadow it; a `__Secure-` cookie must be Secure.
 */
export const COOKIE_PREFIX_HOST = '__Host-'
export const COOKIE_PREFIX_SECURE = '__Secure-'

/** Methods that never change state (RFC 9110 §9.2.1): the CSRF check skips only these. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Labels of the signed double-submit CSRF token (core/credentials/csrf.ts). They contain `:` and
 * `/`, which base64url never does, so neither HMAC input can ever equal a JWS signing input.
 */
export const CSRF_KEY_LABEL = 'tokenward/csrf-key/v1'
export const CSRF_TOKEN_LABEL = 'tokenward/csrf/v1:'

/** HMAC algorithms tokenward signs and verifies. `none` is never among them (RFC 8725 §3.1). */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
/** Asymmetric algorithms tokenward signs and verifies. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const

/** RFC 9449 §4.2: the `typ` of a DPoP proof. */
export const TYP_DPOP = 'dpop+jwt'
/** RFC 9449 §4.1 and §8: the proof header and the server nonce header. */
export const HEADER_DPOP = 'DPoP'
/**
 * The store ids of spent DPoP proofs start with it (`dpop:<jkt>:<jti>`): memoryStore keeps them
 * under a bound of their own, so a proof flood never takes the room of a revocation.
 */
export const DPOP_PROOF_PREFIX = 'dpop:'
export const HEADER_DPOP_NONCE = 'DPoP-Nonce'
/**
 * Algorithms a DPoP proof may use: asymmetric only (RFC 9449 §4.3 check 5: never `none`, never a
 * MAC — the proof must show possession of a private key).
 */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const
/** How far a proof's `iat` may be from now (default of `dpop.proofMaxAge`). */
export const DEFAULT_DPOP_PROOF_MAX_AGE = '60s'
/** Labels of the stateless DPoP nonce (an HMAC of a time bucket, keyed like the CSRF tokens). */
export const DPOP_NONCE_KEY_LABEL = 'tokenward/dpop-nonce-key/v1'
export const DPOP_NONCE_LABEL = 'tokenward/dpop-nonce/v1:'
/** Seconds one nonce bucket lasts; a nonce is accepted in its bucket and the next one. */
export const DPOP_NONCE_PERIOD = 300
