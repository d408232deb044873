/**
 * DPoP at the auth routes (RFC 9449): the request's `DPoP` proof checked against its method and
 * URL (the key binds the tokens of a token request, or proves possession of a bound token), and the
 * server nonce sent with token responses. The checks themselves live in core/dpop.ts.
 */

import { getHeader } from '../core/credentials/index.js'
import { type CheckedProof, currentNonce, proofKey, requestProof } from '../core/dpop.js'
import { HEADER_DPOP, HEADER_DPOP_NONCE } from '../core/lib/constants.js'
import type { RouteContext } from './route-context.js'
import type { AuthRouteRequest, AuthRouteResponse } from './types.js'

/**
 * The RFC 7638 thumbprint of the key of the request's proof, or `undefined` when the request
 * carries none (refused in `required` mode) or DPoP is off. `accessToken`: the token the proof
 * must name (`ath`), for a request that presents one. Throws `invalid_dpop_proof` /
 * `use_dpop_nonce`; spends the proof's `jti` only when every check passed.
 */
export function proofKeyOf(
  route: RouteContext,
  request: AuthRouteRequest,
  accessToken?: string,
  jkt?: string,
): Promise<string | undefined> {
  const proof = { proof: getHeader(request.headers, HEADER_DPOP), method: request.method, url: request.url }
  return proofKey(route.core, proof, { accessToken, jkt })
}

/**
 * The request's proof, checked but NOT yet recorded (its `jti` is spent by the operation once the
 * request's credentials passed): for login and refresh, so an anonymous flood stores nothing.
 */
export function checkedProofOf(
  route: RouteContext,
  request: AuthRouteRequest,
): Promise<CheckedProof | undefined> {
  const proof = { proof: getHeader(request.headers, HEADER_DPOP), method: request.method, url: request.url }
  return requestProof(route.core, proof)
}

/** A token response with the current `DPoP-Nonce` (RFC 9449 §8), when nonces are on. */
export function withNonce(route: RouteContext, response: AuthRouteResponse): AuthRouteResponse {
  const nonce = currentNonce(route.core)
  if (nonce !== undefined) response.headers[HEADER_DPOP_NONCE] = nonce
  return response
}
