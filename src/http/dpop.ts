/**
 * DPoP at the token endpoints (RFC 9449 §5): login, `/token` and refresh read the request's
 * `DPoP` proof, bind the new tokens to its key, and send the server nonce when nonces are on.
 * The checks themselves live in core/dpop.ts; an Auth that `createAuth` did not make has no DPoP.
 */

import { getHeader } from '../core/credentials/index.js'
import { DPOP_ROUTES, type DpopRoutes } from '../core/dpop.js'
import { HEADER_DPOP, HEADER_DPOP_NONCE } from '../core/lib/constants.js'
import type { RouteContext } from './route-context.js'
import type { AuthRouteRequest, AuthRouteResponse } from './types.js'

function dpopOf(route: RouteContext): DpopRoutes | undefined {
  return (route.auth as unknown as Record<symbol, DpopRoutes | undefined>)[DPOP_ROUTES]
}

/**
 * The RFC 7638 thumbprint of the token request's proof key, or `undefined` when the request
 * carries no proof (or DPoP is off). Throws `invalid_dpop_proof` / `use_dpop_nonce`.
 */
export function tokenRequestKey(route: RouteContext, request: AuthRouteRequest): Promise<string | undefined> {
  const dpop = dpopOf(route)
  if (!dpop) return Promise.resolve(undefined)
  return dpop.tokenRequestKey({
    proof: getHeader(request.headers, HEADER_DPOP),
    method: request.method,
    url: request.url,
  })
}

/** A token response with the current `DPoP-Nonce` (RFC 9449 §8), when nonces are on. */
export function withNonce(route: RouteContext, response: AuthRouteResponse): AuthRouteResponse {
  const nonce = dpopOf(route)?.nonce()
  if (nonce !== undefined) response.headers[HEADER_DPOP_NONCE] = nonce
  return response
}
