/**
 * `POST /introspect`: OAuth 2.0 token introspection (RFC 7662) for resource servers that cannot
 * verify tokens themselves. The caller must authenticate as one of the configured CONFIDENTIAL
 * `clients` (§2.1: introspection needs authorization, and naming a public client proves nothing;
 * §4: no token scanning by anyone who knows a client id). An active token is answered with its
 * claims; anything else — invalid, expired, revoked, a spent refresh token (session invariant S2),
 * a one-time token — with `{ "active": false }` and nothing more (§2.2).
 */
import { isAuthError } from '../../core/errors.js'
import { scopesOf } from '../../core/guards.js'
import { refreshIsLive } from '../../core/refresh.js'
import { verifyNow } from '../../core/verify.js'
import { stringField } from '../body.js'
import { authenticateClient } from '../clients.js'
import { json } from '../response.js'
import type { RouteContext } from '../route-context.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'

// `cnf`: RFC 9449 §6.2, the key a DPoP-bound token is bound to.
const PASSED_ON = ['sub', 'client_id', 'exp', 'iat', 'nbf', 'aud', 'iss', 'jti', 'roles', 'cnf'] as const

function active(claims: Record<string, unknown>, kind: 'access' | 'refresh'): Record<string, unknown> {
  const body: Record<string, unknown> = {
    active: true,
    token_type: kind === 'refresh' ? 'refresh_token' : claims.cnf === undefined ? 'Bearer' : 'DPoP',
  }
  const scopes = scopesOf(claims)
  if (scopes.length > 0) body.scope = scopes.join(' ')
  for (const name of PASSED_ON) if (claims[name] !== undefined) body[name] = claims[name]
  return body
}

/** The introspection route. */
export async function introspectRoute(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const { core } = route
  await authenticateClient(route, request, fields, { required: true, confidential: true })
  const token = stringField(fields, 'token', true)
  const hint = stringField(fields, 'token_type_hint', false)
  const kinds = hint === 'refresh_token' ? (['refresh', 'access'] as const) : (['access', 'refresh'] as const)
  for (const kind of kinds) {
    try {
      const claims = (await verifyNow(core, token, kind)) as Parameters<typeof refreshIsLive>[1]
      // S2: a refresh token whose place in its chain is spent is not active, though not revoked.
      if (kind === 'refresh' && !(await refreshIsLive(core, claims))) return json({ active: false })
      return json(active(claims, kind))
    } catch (err) {
      // Not active as this kind; a store outage is not "inactive": fail closed (503).
      if (!isAuthError(err) || err.code === 'store_unavailable') throw err
    }
  }
  return json({ active: false })
}
