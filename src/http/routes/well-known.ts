/**
 * The root routes: `GET /.well-known/jwks.json` (the public keys, RFC 7517) and
 * `GET /.well-known/oauth-authorization-server` (RFC 8414 metadata), served when asymmetric
 * signing keys are configured — an HMAC secret has nothing to publish.
 */
import type { RouteContext } from '../route-context.js'
import type { AuthRouteResponse } from '../types.js'

/** Public keys may be cached a little (rotation: keep the old key until its tokens expire). */
const CACHEABLE = { 'Cache-Control': 'public, max-age=300' }

/** `GET /.well-known/jwks.json`. */
export async function jwksRoute(route: RouteContext): Promise<AuthRouteResponse> {
  return { status: 200, headers: { ...CACHEABLE }, cookies: [], body: await route.auth.jwks() }
}

/**
 * `GET /.well-known/oauth-authorization-server`. The endpoints are absolute URLs under the
 * `issuer` (RFC 8414 §2): the issuer must be the URL the auth routes are served under, less their
 * prefix. Without an `issuer` that is an http(s) URL there is no metadata to publish (404).
 */
export async function metadataRoute(route: RouteContext): Promise<AuthRouteResponse | undefined> {
  const { issuer, clients, dpop } = route.core.settings
  if (!issuer || !/^https?:\/\//.test(issuer)) return undefined
  const base = `${issuer.replace(/\/+$/, '')}${route.settings.prefix}`
  const clientAuth = clients ? ['client_secret_basic', 'client_secret_post', 'none'] : ['none']
  return {
    status: 200,
    headers: { ...CACHEABLE },
    cookies: [],
    body: {
      issuer,
      token_endpoint: `${base}/token`,
      jwks_uri: `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: clientAuth,
      revocation_endpoint: `${base}/revoke`,
      revocation_endpoint_auth_methods_supported: clientAuth,
      introspection_endpoint: `${base}/introspect`,
      // RFC 7662 §2.1 and S3: only a confidential client may introspect.
      introspection_endpoint_auth_methods_supported: clientAuth.filter((m) => m !== 'none'),
      // RFC 9449 §5.1: a client discovers that this server binds tokens to DPoP keys.
      ...(dpop ? { dpop_signing_alg_values_supported: [...dpop.algorithms] } : {}),
    },
  }
}
