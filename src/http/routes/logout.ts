/**
 * `POST /logout`: ends the session. Whichever token is presented — the access token (Bearer header
 * or cookie), the refresh token (body or cookie), or both — its whole family is revoked, so the
 * refresh token stops minting pairs even when only the access token was sent. An expired token
 * still names its session (its signature must check out).
 */
import { credentialsOf, getHeader } from '../../core/credentials/index.js'
import { AuthError, isAuthError } from '../../core/errors.js'
import { decodePayload, parseToken } from '../../core/jws/tokens.js'
import { noContent } from '../response.js'
import type { RouteContext } from '../route-context.js'
import { clearCookies, credentialsOfRequest, refreshTokenOf } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The access token of the request (CSRF-checked when it came from the cookie), if any. */
function accessTokenOf(route: RouteContext, request: AuthRouteRequest): string | undefined {
  const { cookies } = route.settings
  if (!getHeader(request.headers, 'authorization') && !cookies) return undefined
  try {
    return credentialsOf(credentialsOfRequest(request, cookies), cookies).token
  } catch (err) {
    if (isAuthError(err) && err.code === 'token_missing') return undefined
    throw err
  }
}

/** The logout route. */
export async function logout(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { auth, settings } = route
  const tokens = [accessTokenOf(route, request), refreshTokenOf(request, fields, settings.cookies)].filter(
    (t): t is string => t !== undefined,
  )
  if (tokens.length === 0) throw new AuthError('token_missing', 'no bearer token was presented')
  let ended: string | undefined
  let firstError: unknown
  for (const token of tokens) {
    try {
      await auth.revoke(token, { session: true })
      ended ??= decodePayload(parseToken(token, Number.POSITIVE_INFINITY)).sub as string
    } catch (err) {
      // A store outage fails the logout (503): the client must know its session may live on.
      if (!isAuthError(err) || err.code === 'store_unavailable') throw err
      firstError ??= err
    }
  }
  if (ended === undefined) throw firstError
  auth.emit({ type: 'logout', sub: ended })
  return noContent(clearCookies(settings.cookies, settings.prefix))
}
