/**
 * Errors of the OAuth endpoints in RFC 6749 §5.2 form: `{ error, error_description }` with the
 * standard codes, so OAuth client libraries read them. The JSON routes (`/login`, `/refresh`) keep
 * tokenward's own codes.
 */

import type { AuthError, AuthErrorCode } from '../core/errors.js'
import { HEADER_DPOP_NONCE } from '../core/lib/constants.js'
import { NO_STORE } from './response.js'
import type { AuthRouteResponse } from './types.js'

/** The RFC 6749 §5.2 error codes tokenward answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'temporarily_unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  /** Cookie mode: a token request that cannot show it comes from the app's own pages (403, S5). */
  | 'csrf_failed'

const GRANT_ERRORS: ReadonlySet<AuthErrorCode> = new Set<AuthErrorCode>([
  'invalid_credentials',
  'token_missing',
  'token_malformed',
  'token_invalid',
  'token_expired',
  'token_not_active',
  'token_claim_invalid',
  'token_wrong_type',
  'token_revoked',
  'refresh_token_reused',
  'user_not_found',
  'rate_limited',
])

/** An RFC 6749 §5.2 error answer. */
export function oauthError(
  status: number,
  error: OAuthErrorCode,
  description: string,
  headers: Record<string, string> = {},
): AuthRouteResponse {
  return {
    status,
    headers: { ...NO_STORE, ...headers },
    cookies: [],
    body: { error, error_description: description },
  }
}

/**
 * An AuthError in RFC 6749 §5.2 form: a refused grant (wrong credentials, a spent, revoked or
 * expired refresh token) is `invalid_grant` (400; 429 with `Retry-After` when rate-limited); a
 * client that failed to authenticate `invalid_client` (401, `WWW-Authenticate: Basic`); a bad
 * request `invalid_request`; a store outage `temporarily_unavailable` (503).
 */
export function oauthErrorResponse(err: AuthError): AuthRouteResponse {
  const { code, message } = err
  if (code === 'invalid_client') return oauthError(401, 'invalid_client', message, err.headers)
  // RFC 9449 §5 and §8: 400 at the token endpoint, with the nonce to use next (no challenge).
  if (code === 'invalid_dpop_proof' || code === 'use_dpop_nonce') {
    const nonce = err.dpop?.nonce
    return oauthError(400, code, message, nonce === undefined ? {} : { [HEADER_DPOP_NONCE]: nonce })
  }
  if (code === 'store_unavailable') return oauthError(503, 'temporarily_unavailable', message)
  // S5 (login CSRF): the same 403 as on the JSON routes, so a page handles one answer.
  if (code === 'csrf_failed') return oauthError(403, 'csrf_failed', message)
  if (code === 'rate_limited') return oauthError(429, 'invalid_grant', message, err.headers)
  if (GRANT_ERRORS.has(code)) return oauthError(400, 'invalid_grant', message)
  return oauthError(400, 'invalid_request', message)
}
