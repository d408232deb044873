/**
 * `POST /token`: the OAuth 2.0 token endpoint — the password grant (RFC 6749 §4.3) and the refresh
 * grant (§6), with client authentication (§2.3.1) when `clients` are configured, and every error
 * in §5.2 form (`invalid_grant`, `invalid_client`, `invalid_request`, `unsupported_grant_type`).
 * `grant_type` defaults to `password` (FastAPI's OAuth2PasswordRequestForm clients omit it).
 */
import { stringField } from '../body.js'
import { authenticateClient } from '../clients.js'
import { oauthError } from '../oauth.js'
import type { RouteContext } from '../route-context.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'
import { loginRoute } from './login.js'
import { refreshRoute } from './refresh.js'

/** The token route (its errors are answered in RFC 6749 §5.2 form by the route table). */
export async function tokenRoute(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const grant = stringField(fields, 'grant_type', false) ?? 'password'
  if (grant !== 'password' && grant !== 'refresh_token')
    return oauthError(400, 'unsupported_grant_type', 'grant_type must be password or refresh_token')
  const client = await authenticateClient(route, request, fields, { required: false })
  return grant === 'password'
    ? loginRoute(route, request, fields, client)
    : refreshRoute(route, request, fields, { client })
}
