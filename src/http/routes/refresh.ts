/** `POST /refresh` (and the refresh grant of `POST /token`): the refresh token from the body or cookie. */
import type { ClaimsInput } from '../../core/types.js'
import { badRequest } from '../body.js'
import type { RouteContext } from '../route-context.js'
import { refreshTokenOf, tokenResponse } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The refresh route. */
export async function refresh(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { auth, settings, options } = route
  const token = refreshTokenOf(request, fields, settings.cookies)
  if (!token) throw badRequest('the field refresh_token is required')
  const claimsFor = options.claimsFor as ((user: unknown) => ClaimsInput<object>) | undefined
  const pair = await auth.refresh(token, claimsFor ? { claimsFor } : undefined)
  return tokenResponse(pair, settings.cookies, settings.prefix)
}
