/**
 * `POST /revoke`: OAuth 2.0 token revocation (RFC 7009). A refresh token takes its whole session
 * with it; an access token is revoked until its `exp`. An invalid, unknown or already-revoked
 * token is answered 200 like any other (§2.2): the client's goal is reached, and the answer tells
 * nobody which tokens exist. When `clients` are configured the client must authenticate, and a
 * token issued to another client is refused.
 */
import { isAuthError } from '../../core/errors.js'
import { decodePayload, parseToken } from '../../core/jws/tokens.js'
import { stringField } from '../body.js'
import { authenticateClient } from '../clients.js'
import { oauthError } from '../oauth.js'
import { NO_STORE } from '../response.js'
import type { RouteContext } from '../route-context.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The `client_id` a token names, read without verifying it (only to refuse, never to grant). */
function clientOf(token: string): unknown {
  try {
    return decodePayload(parseToken(token, Number.POSITIVE_INFINITY)).client_id
  } catch {
    return undefined
  }
}

/** The revocation route. */
export async function revokeToken(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { auth } = route
  const clientId = authenticateClient(route, request, fields, {
    required: auth.settings.clients !== undefined,
  })
  const token = stringField(fields, 'token', true)
  const issuedTo = clientOf(token)
  if (clientId !== undefined && issuedTo !== undefined && issuedTo !== clientId)
    return oauthError(400, 'invalid_request', 'the token was issued to another client')
  try {
    await auth.revoke(token)
  } catch (err) {
    // A store outage must be told (503): the token may still be valid.
    if (!isAuthError(err) || err.code === 'store_unavailable') throw err
  }
  // RFC 7009 §2.2: the body is ignored; an empty JSON object keeps JSON-only clients (simple-oauth2) happy.
  return { status: 200, headers: { ...NO_STORE }, cookies: [], body: {} }
}
