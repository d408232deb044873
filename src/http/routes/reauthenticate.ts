/**
 * `POST /reauthenticate`: step-up. A signed-in user proves who they are again (username and
 * password, counted by the login rate limit like any login attempt) and the session gets
 * `auth_time` now — so routes guarded with `requireFresh('5m')` / `authorize(ctx, { maxAge })` let
 * them through (RFC 9470). The password must belong to the session's own user.
 *
 * Session invariant S1: with the session's refresh token (the body's `refresh_token`, or the
 * refresh cookie in cookie mode) it is rotated as a refresh would (core refresh.ts `stepUp`); without
 * it only a fresh access token is handed out — never a second live refresh token.
 */
import { boundKey } from '../../core/credentials/binding.js'
import { AuthError } from '../../core/errors.js'
import { stepUp } from '../../core/refresh.js'
import { clientAddress } from '../address.js'
import { authenticateClient } from '../clients.js'
import { release, reserveAttempt } from '../rate-limit.js'
import { appCallback, type RouteContext } from '../route-context.js'
import { authenticateInputOf, currentSession, refreshTokenOf, tokenResponse } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'
import { userIdOf } from '../users.js'
import { checkPassword, passwordCredentialsOf } from './login.js'

/** The re-authentication route. */
export async function reauthenticateRoute(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { auth, core, settings } = route
  const ctx = await auth.authenticate(authenticateInputOf(request, settings.cookies), {
    cookies: settings.cookies ?? false,
  })
  // A token of no session here (a third-party token under verifyProfile 'jwt'): nothing to step up.
  if (currentSession(ctx) === undefined)
    throw new AuthError('token_invalid', 'step-up needs an access token of a session issued here')
  const { username, password } = passwordCredentialsOf(fields)
  const refreshToken = refreshTokenOf(request, fields, settings.cookies)
  const client = await authenticateClient(route, request, fields, { required: false })
  const address = clientAddress(request, settings.proxyHops)
  const reservation = await reserveAttempt(route, username, address)
  const { user } = await checkPassword(route, { username, password, address, reservation })
  // Another account's password proves nothing about this session's user.
  if (!user || userIdOf(user) !== ctx.claims.sub) {
    core.emit({ type: 'login_failed', username, address, reason: 'invalid credentials (re-authentication)' })
    throw new AuthError('invalid_credentials', 'the username or password is incorrect')
  }
  await release(route, reservation)
  const { sub: _sub, ...claims } = await appCallback(route, 'claimsFor', () => route.claimsFor(user))
  // A DPoP-bound access token was just proven with a proof of its key: the same key binds the refresh token.
  const jkt = boundKey(ctx.claims as Record<string, unknown>)
  const tokens = await stepUp(core, ctx.claims as { sub: string; fid?: unknown }, claims, {
    refreshToken,
    jkt,
    client,
  })
  core.emit({ type: 'login_succeeded', username, sub: ctx.claims.sub, address })
  return tokenResponse(tokens, settings.cookies, settings.prefix)
}
