/**
 * The session as the browser holds it in cookie mode: the access cookie, the refresh cookie
 * (scoped to the auth routes only) and the readable CSRF cookie holding the session's signed CSRF
 * token, which the page echoes in a header.
 */
import { csrfValid, parseCookies, type ResolvedCookies, setCookie } from '../core/credentials/cookies.js'
import { checkSameOrigin, getHeader } from '../core/credentials/index.js'
import { AuthError } from '../core/errors.js'
import type { AuthContext, StepUpTokens } from '../core/types/index.js'
import { stringField } from './body.js'
import { json } from './response.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from './types.js'

/**
 * The 200 answer of login, refresh and step-up: the tokens in the body (RFC 6749 §5.1; step-up
 * without a refresh token hands out an access token only), or in cookie mode the tokens as cookies
 * and a body with NO token — page JavaScript (an XSS included) never sees one. The cookie-mode body
 * is `{ token_type, expires_in, refresh_expires_in, csrf_token }`, plus `access_token` only with
 * `cookies.accessTokenInBody` (docs/security.md).
 */
export function tokenResponse(
  tokens: StepUpTokens,
  cookies: ResolvedCookies | undefined,
  prefix: string,
): AuthRouteResponse {
  const tokenType = tokens.tokenType === 'DPoP' ? 'DPoP' : 'bearer'
  const refreshed = tokens.refreshToken !== undefined
  if (!cookies)
    return json({
      access_token: tokens.accessToken,
      ...(refreshed ? { refresh_token: tokens.refreshToken } : {}),
      token_type: tokenType,
      expires_in: tokens.expiresIn,
      ...(refreshed ? { refresh_expires_in: tokens.refreshExpiresIn } : {}),
    })
  const csrf = cookies.csrf.tokenFor(tokens.sessionId)
  const body = {
    ...(cookies.accessTokenInBody ? { access_token: tokens.accessToken } : {}),
    token_type: tokenType,
    expires_in: tokens.expiresIn,
    ...(refreshed ? { refresh_expires_in: tokens.refreshExpiresIn } : {}),
    csrf_token: csrf,
  }
  const set = [setCookie(cookies, cookies.names.access, tokens.accessToken, { maxAge: tokens.expiresIn })]
  if (refreshed) {
    const maxAge = tokens.refreshExpiresIn ?? 0
    // The refresh cookie goes only to the auth routes, never to the rest of the app.
    set.push(setCookie(cookies, cookies.names.refresh, tokens.refreshToken!, { maxAge, path: prefix || '/' }))
    set.push(setCookie(cookies, cookies.names.csrf, csrf, { maxAge, httpOnly: false }))
  }
  return json(body, set)
}

/**
 * S5 (core/credentials `checkSameOrigin`): in cookie mode a request whose answer signs the browser
 * in — a login, a token request, a refresh with the token in the body — must come from the app's
 * own pages. Nothing to check outside cookie mode (no cookie is set).
 */
export function checkSignIn(request: AuthRouteRequest, cookies: ResolvedCookies | undefined): void {
  if (cookies) checkSameOrigin(request.headers, request.url, cookies.trustedOrigins)
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

/** The session of the caller's access token (its `fid`), if it names one (a third-party token does not). */
export function currentSession(ctx: AuthContext<object, unknown>): string | undefined {
  const { fid } = ctx.claims
  return typeof fid === 'string' && fid.length > 0 ? fid : undefined
}

/** A route request as authenticate's input (the access token by header or cookie, its DPoP proof). */
export function authenticateInputOf(request: AuthRouteRequest, cookies: ResolvedCookies | undefined) {
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
