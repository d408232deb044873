/**
 * `POST /reauthenticate`: step-up. A signed-in user proves who they are again (username and
 * password, counted by the login rate limit like any login attempt) and gets a fresh pair in the
 * SAME session, with `auth_time` now — so routes guarded with `requireFresh('5m')` /
 * `authorize(ctx, { maxAge })` let them through (RFC 9470). The password must belong to the
 * session's own user.
 */
import { AuthError } from '../../core/errors.js'
import { clientAddress } from '../address.js'
import { release, reserveAttempt } from '../rate-limit.js'
import { appCallback, type RouteContext } from '../route-context.js'
import { credentialsOfRequest, tokenResponse } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'
import { checkPassword, credentialsOf, idOf } from './login.js'

/** The re-authentication route. */
export async function reauthenticate(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { auth, settings } = route
  const ctx = await auth.authenticate(credentialsOfRequest(request, settings.cookies), {
    cookies: settings.cookies ?? false,
  })
  const { username, password } = credentialsOf(fields)
  const address = clientAddress(request, settings.proxyHops)
  const reservation = await reserveAttempt(route, username, address)
  const { user } = await checkPassword(route, { username, password, address, reservation })
  // Another account's password proves nothing about this session's user.
  if (!user || idOf(user) !== ctx.claims.sub) {
    auth.emit({ type: 'login_failed', username, address, reason: 'invalid credentials (re-authentication)' })
    throw new AuthError('invalid_credentials', 'the username or password is incorrect')
  }
  await release(route, reservation)
  const { sub: _sub, ...claims } = await appCallback(route, 'claimsFor', () => route.claimsFor(user))
  const pair = await auth.stepUp(ctx.claims as { sub: string; fid?: unknown }, claims)
  auth.emit({ type: 'login_succeeded', username, sub: ctx.claims.sub, address })
  return tokenResponse(pair, settings.cookies, settings.prefix)
}
