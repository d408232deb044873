/** `POST /logout`: revokes the presented access token and, when given, the refresh token's family. */
import { isAuthError } from '../../core/errors.js'
import { noContent } from '../response.js'
import type { RouteContext } from '../route-context.js'
import { clearCookies, credentialsOfRequest, refreshTokenOf } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The logout route. */
export async function logout(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { auth, settings } = route
  const refreshToken = refreshTokenOf(request, fields, settings.cookies)
  let accessError: unknown
  let sub: string | undefined
  try {
    const ctx = await auth.authenticate(credentialsOfRequest(request, settings.cookies), {
      cookies: settings.cookies ? (route.options.cookies ?? true) : false,
    })
    await auth.revoke(ctx.token)
    sub = ctx.claims.sub
  } catch (err) {
    accessError = err
  }
  if (refreshToken) {
    try {
      await auth.revoke(refreshToken)
    } catch (err) {
      if (!isAuthError(err) || err.code === 'store_unavailable') throw err
      if (accessError) throw accessError
    }
  } else if (accessError) {
    throw accessError
  }
  if (sub) auth.emit({ type: 'logout', sub })
  return noContent(clearCookies(settings.cookies, settings.prefix))
}
