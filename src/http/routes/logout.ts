/**
 * `POST /logout`: ends the session. Whichever token is presented — the access token (Bearer or
 * DPoP header, or cookie), the refresh token (body or cookie), or both — its whole family is
 * revoked, so the refresh token stops minting pairs even when only the access token was sent. An
 * expired token still names its session (its signature must check out). A token bound to a key or
 * a confidential client ends its session only with that binding (session invariant S3): the
 * request's DPoP proof (with `ath` for an access token sent as `DPoP`), the client's
 * authentication — a thief holding only a bound token cannot sign the user out.
 */
import type { Binding } from '../../core/credentials/binding.js'
import { tokenOf } from '../../core/credentials/index.js'
import { refuseBound } from '../../core/dpop.js'
import { AuthError, isAuthError } from '../../core/errors.js'
import { revoke } from '../../core/revoke.js'
import { authenticateClient } from '../clients.js'
import { proofKeyOf } from '../dpop.js'
import { noContent } from '../response.js'
import type { RouteContext } from '../route-context.js'
import { authenticateInputOf, clearCookies, refreshTokenOf } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The access token of the request (CSRF-checked when it came from the cookie), and its scheme. */
function accessTokenOf(route: RouteContext, request: AuthRouteRequest) {
  const { cookies } = route.settings
  try {
    return tokenOf(authenticateInputOf(request, cookies), cookies)
  } catch (err) {
    if (isAuthError(err) && err.code === 'token_missing') return undefined
    throw err
  }
}

/** The logout route. */
export async function logoutRoute(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { core, settings } = route
  const access = accessTokenOf(route, request)
  const refreshToken = refreshTokenOf(request, fields, settings.cookies)
  if (!access && refreshToken === undefined)
    throw new AuthError('token_missing', 'no bearer token was presented')
  const client = await authenticateClient(route, request, fields, { required: false })
  // One proof per request, checked only when a token is bound, after that token's signature.
  let proof: Promise<string | undefined> | undefined
  const keyOf = (bound: string) => {
    // Of the bound key, or refused before its jti is recorded: a thief's own key stores nothing.
    proof ??= proofKeyOf(route, request, access?.dpop ? access.token : undefined, bound)
    return proof
  }
  const presented = (scheme: 'access' | 'refresh') => async (binding: Binding) => {
    // RFC 9449 §7.2: a bound access token sent as a bearer token is refused, whatever else comes.
    if (scheme === 'access' && binding.key !== undefined && !access?.dpop) refuseBound(core, { cnf: binding })
    return { client, jkt: binding.key === undefined ? undefined : await keyOf(binding.key) }
  }
  const tokens: ['access' | 'refresh', string][] = []
  if (access) tokens.push(['access', access.token])
  if (refreshToken !== undefined) tokens.push(['refresh', refreshToken])
  let ended: string | undefined
  let firstError: unknown
  for (const [scheme, token] of tokens) {
    try {
      // Each token presented is revoked (an access token of another session, or of none, must not
      // leave the refresh token's session alive).
      const sub = (await revoke(core, token, { session: true, prove: presented(scheme) }))?.sub
      ended ??= sub
    } catch (err) {
      // A store outage fails the logout (503): the client must know its session may live on.
      if (!isAuthError(err) || err.code === 'store_unavailable') throw err
      firstError ??= err
    }
  }
  if (ended === undefined) throw firstError
  core.emit({ type: 'logout', sub: ended })
  return noContent(clearCookies(settings.cookies, settings.prefix))
}
