/**
 * `POST /revoke`: OAuth 2.0 token revocation (RFC 7009). A refresh token takes its whole session
 * with it; an access token is revoked until its `exp`. An invalid, unknown or already-revoked
 * token is answered 200 like any other (§2.2): the client's goal is reached, and the answer tells
 * nobody which tokens exist. When `clients` are configured the client must authenticate, and a
 * token issued to another client is refused (§2.1). A token bound to a key or a confidential
 * client is revoked only with that binding (session invariant S3): a DPoP proof of the key (htu of
 * this endpoint, no `ath`), the client's authentication.
 */
import { isAuthError } from '../../core/errors.js'
import { revoke } from '../../core/revoke.js'
import { stringField } from '../body.js'
import { authenticateClient } from '../clients.js'
import { proofKeyOf } from '../dpop.js'
import { oauthError } from '../oauth.js'
import { NO_STORE } from '../response.js'
import type { RouteContext } from '../route-context.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

/** The revocation route. */
export async function revokeRoute(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { core } = route
  const client = await authenticateClient(route, request, fields, {
    required: core.settings.clients !== undefined,
  })
  const token = stringField(fields, 'token', true)
  try {
    await revoke(core, token, {
      prove: async (binding) => ({
        client,
        // The proof must be of the bound key before its jti is recorded: a thief's own key stores nothing.
        jkt: binding.key === undefined ? undefined : await proofKeyOf(route, request, undefined, binding.key),
      }),
    })
  } catch (err) {
    if (!isAuthError(err)) throw err
    // A store outage must be told (503): the token may still be valid. A bound token without its
    // binding is refused, not "revoked" (RFC 7009 §2.2.1: the §5.2 error of the failed check).
    if (
      err.code === 'store_unavailable' ||
      err.code === 'invalid_dpop_proof' ||
      err.code === 'use_dpop_nonce'
    )
      throw err
    if (err.code === 'invalid_client') throw err
    if (err.code === 'token_claim_invalid' && err.claim === 'client_id')
      return oauthError(400, 'invalid_request', 'the token was issued to another client')
  }
  // RFC 7009 §2.2: the body is ignored; an empty JSON object keeps JSON-only clients (simple-oauth2) happy.
  return { status: 200, headers: { ...NO_STORE }, cookies: [], body: {} }
}
