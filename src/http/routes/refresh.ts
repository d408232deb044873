/** `POST /refresh` (and the refresh grant of `POST /token`): the refresh token from the body or cookie. */

import { AuthError } from '../../core/errors.js'
import type { ClaimsInput } from '../../core/types/index.js'
import { badRequest } from '../body.js'
import { tokenRequestKey, withNonce } from '../dpop.js'
import type { RouteContext } from '../route-context.js'
import { refreshTokenOf, tokenResponse } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The refresh route. */
export async function refresh(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
  /** The authenticated OAuth client (`/token`): the token must have been issued to it (RFC 6749 §6). */
  clientId?: string,
): Promise<AuthRouteResponse> {
  const { auth, settings, options } = route
  const token = refreshTokenOf(request, fields, settings.cookies)
  if (!token) throw badRequest('the field refresh_token is required')
  // RFC 9449 §5: the proof's key; a bound refresh token needs its own (checked by auth.refresh).
  const jkt = await tokenRequestKey(route, request)
  if (clientId !== undefined) {
    const issuedTo = ((await auth.verifyRefreshToken(token)) as { client_id?: unknown }).client_id
    if (issuedTo !== undefined && issuedTo !== clientId)
      throw new AuthError('token_claim_invalid', 'the refresh token was issued to another client', {
        claim: 'client_id',
      })
  }
  const claimsFor = options.claimsFor as ((user: unknown) => ClaimsInput<object>) | undefined
  const pair = await auth.refresh(token, claimsFor || jkt ? { claimsFor, jkt } : undefined)
  return withNonce(route, tokenResponse(pair, settings.cookies, settings.prefix))
}
