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

export const HEADER_WWW_AUTHENTICATE = 'WWW-Authenticate'
export const HEADER_RETRY_AFTER = 'Retry-After'
export const DEFAULT_CSRF_HEADER = 'x-csrf-token'

export const DEFAULT_COOKIE_NAMES = {
  access: 'tw_access',
  refresh: 'tw_refresh',
  csrf: 'tw_csrf',
} as const

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
