/**
 * The session as the browser holds it in cookie mode: the access cookie, the refresh cookie
 * (scoped to the auth routes only) and the readable CSRF cookie holding the session's signed CSRF
 * token, which the page echoes in a header.
 */
import {
  csrfValid,
  parseCookies,
  type ResolvedCookies,
  sessionOf,
  setCookie,
} from '../core/credentials/cookies.js'
import { getHeader } from '../core/credentials/index.js'
import { AuthError } from '../core/errors.js'
import type { TokenPair } from '../core/types/index.js'
import { stringField } from './body.js'
import { json } from './response.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from './types.js'

/**
 * The 200 answer of login and refresh: the pair in the body (RFC 6749 §5.1), or in cookie mode the
 * tokens as cookies and a body WITHOUT the refresh token — page JavaScript (an XSS included) never
 * sees it. The cookie-mode body is `{ access_token, token_type, expires_in, refresh_expires_in,
 * csrf_token }` (docs/security.md).
 */
export function tokenResponse(
  pair: TokenPair,
  cookies: ResolvedCookies | undefined,
  prefix: string,
): AuthRouteResponse {
  if (!cookies)
    return json({
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      token_type: pair.tokenType === 'DPoP' ? 'DPoP' : 'bearer',
      expires_in: pair.expiresIn,
      refresh_expires_in: pair.refreshExpiresIn,
    })
  const fid = sessionOf(pair.accessToken)
  if (fid === undefined) throw new Error('tokenward: an issued access token names no session (fid)')
  const csrf = cookies.csrf.tokenFor(fid)
  const body = {
    access_token: pair.accessToken,
    token_type: pair.tokenType === 'DPoP' ? 'DPoP' : 'bearer',
    expires_in: pair.expiresIn,
    refresh_expires_in: pair.refreshExpiresIn,
    csrf_token: csrf,
  }
  return json(body, [
    setCookie(cookies, cookies.names.access, pair.accessToken, { maxAge: pair.expiresIn }),
    // The refresh cookie goes only to the auth routes, never to the rest of the app.
    setCookie(cookies, cookies.names.refresh, pair.refreshToken, {
      maxAge: pair.refreshExpiresIn,
      path: prefix || '/',
    }),
    setCookie(cookies, cookies.names.csrf, csrf, { maxAge: pair.refreshExpiresIn, httpOnly: false }),
  ])
}

/** `Set-Cookie` values that clear the session cookies (none outside cookie mode). */
export function clearCookies(cookies: ResolvedCookies | undefined, prefix: string): string[] {
  if (!cookies) return []
  return [
    setCookie(cookies, cookies.names.access, '', { maxAge: 0 }),
    setCookie(cookies, cookies.names.refresh, '', { maxAge: 0, path: prefix || '/' }),
    setCookie(cookies, cookies.names.csrf, '', { maxAge: 0, httpOnly: false }),
  ]
}

/** The refresh token from the body, or in cookie mode from the refresh cookie (CSRF-checked). */
export function refreshTokenOf(
  request: AuthRouteRequest,
  fields: BodyFields,
  cookies: ResolvedCookies | undefined,
): string | undefined {
  const fromBody = stringField(fields, 'refresh_token', false)
  if (fromBody !== undefined || !cookies) return fromBody
  const cookieHeader = getHeader(request.headers, 'cookie')
  const fromCookie = parseCookies(cookieHeader)[cookies.names.refresh]
  if (!fromCookie) return undefined
  // The signed CSRF token of the refresh cookie's session; auth.refresh checks its signature next.
  if (!csrfValid(cookies, fromCookie, getHeader(request.headers, cookies.csrfHeader)))
    throw new AuthError('csrf_failed', 'a cookie-authenticated request must carry the CSRF header')
  return fromCookie
}

/** What `auth.authenticate` needs of a route request (access token by header or cookie). */
export function credentialsOfRequest(request: AuthRouteRequest, cookies: ResolvedCookies | undefined) {
  return {
    authorization: getHeader(request.headers, 'authorization'),
    cookie: getHeader(request.headers, 'cookie'),
    method: request.method,
    csrfToken: cookies ? getHeader(request.headers, cookies.csrfHeader) : undefined,
    // For a DPoP-bound token (RFC 9449 §7.1): its proof, checked against the request URL.
    dpop: getHeader(request.headers, 'dpop'),
    url: request.url,
  }
}
