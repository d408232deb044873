/**
 * `POST /refresh` (and the refresh grant of `POST /token`): the refresh token from the body or the
 * cookie, rotated by the core (refresh.ts `rotate`, session invariants S1 and S2) with what this
 * request proved (S3): the DPoP proof's key, the authenticated client.
 */
import { refresh } from '../../core/refresh.js'
import type { ClaimsInput } from '../../core/types/index.js'
import { badRequest } from '../body.js'
import { authenticateClient } from '../clients.js'
import { checkedProofOf, withNonce } from '../dpop.js'
import type { RouteContext } from '../route-context.js'
import { checkSignIn, refreshTokenOf, tokenResponse } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The refresh route. `client`: the client `/token` authenticated (each route authenticates its own). */
export async function refreshRoute(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
  authenticated?: { client: string | undefined },
): Promise<AuthRouteResponse> {
  const client = authenticated
    ? authenticated.client
    : await authenticateClient(route, request, fields, { required: false })
  const { core, settings, options } = route
  const token = refreshTokenOf(request, fields, settings.cookies)
  if (!token) throw badRequest('the field refresh_token is required')
  // S5: a refresh token from the body would sign the browser in: a cross-site page may not.
  if (fields.refresh_token !== undefined) checkSignIn(request, settings.cookies)
  // RFC 9449 §5: the proof, checked now and recorded by the core once the refresh token passed.
  const proof = await checkedProofOf(route, request)
  const claimsFor = options.claimsFor as ((user: unknown) => ClaimsInput<object>) | undefined
  const pair = await refresh(core, token, { claimsFor, presented: { jkt: proof?.jkt, client }, proof })
  return withNonce(route, tokenResponse(pair, settings.cookies, settings.prefix))
}
