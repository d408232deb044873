/**
 * OAuth client authentication at the token, revocation and introspection endpoints (RFC 6749
 * §2.3.1): HTTP Basic (`client_id:client_secret`, each form-urlencoded) or `client_id` /
 * `client_secret` in the body — never both. A confidential client (one with a secret in
 * `clients`) must present its secret; a public one names itself.
 */
import { getHeader } from '../core/credentials/index.js'
import { AuthError } from '../core/errors.js'
import { safeEqual } from '../core/lib/native.js'
import { clientAddress } from './address.js'
import { badRequest, stringField } from './body.js'
import { release, reserveClientAttempt } from './rate-limit.js'
import type { RouteContext } from './route-context.js'
import type { AuthRouteRequest, BodyFields } from './types.js'

const invalidClient = (message: string) => new AuthError('invalid_client', message)

/** The credentials of an `Authorization: Basic …` header, or `undefined`. */
function basicCredentials(request: AuthRouteRequest): { id: string; secret: string } | undefined {
  const header = getHeader(request.headers, 'authorization')
  if (!header || !/^basic /i.test(header)) return undefined
  let decoded: string
  try {
    decoded = atob(header.slice(6).trim())
  } catch {
    throw invalidClient('the Basic credentials are not valid base64')
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) throw invalidClient('the Basic credentials must be client_id:client_secret')
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '))
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) }
  } catch {
    throw invalidClient('the Basic credentials are not form-urlencoded')
  }
}

/**
 * The `client_id` of an authenticated client, or `undefined` when the request names none and
 * `required` is false. Throws `invalid_client` (401) for an unknown client or a wrong secret, and
 * — with `confidential` — for a public client (RFC 7662 §2.1: only a client that can keep a secret
 * may introspect). Without `clients` configured, a named client is ignored (`undefined`) unless
 * `required`.
 */
export async function authenticateClient(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
  { required, confidential = false }: { required: boolean; confidential?: boolean },
): Promise<string | undefined> {
  const basic = basicCredentials(request)
  const bodyId = stringField(fields, 'client_id', false)
  const bodySecret = stringField(fields, 'client_secret', false)
  if (basic && (bodySecret !== undefined || (bodyId !== undefined && bodyId !== basic.id)))
    throw badRequest('use one client authentication method: HTTP Basic or the body, not both')
  const clients = route.core.settings.clients
  const id = basic?.id ?? bodyId
  if (!clients) {
    if (required) throw invalidClient('this server has no clients configured')
    return undefined
  }
  if (id === undefined) {
    if (required) throw invalidClient('the client must authenticate')
    return undefined
  }
  const client = Object.hasOwn(clients, id) ? clients[id] : undefined
  const address = clientAddress(request, route.settings.proxyHops)
  if (!client) {
    // Guessing client ids counts against the address too.
    await reserveClientAttempt(route, undefined, address)
    throw invalidClient('unknown client')
  }
  if (client.secret !== undefined) {
    // Counted BEFORE the secret is compared (like a login): 25 guesses at once get exactly the limit.
    const reservation = await reserveClientAttempt(route, id, address)
    const secret = basic?.secret ?? bodySecret
    if (secret === undefined || !safeEqual(secret, client.secret)) {
      route.core.emit({
        type: 'login_failed',
        username: `client:${id}`,
        address,
        reason: 'invalid client secret',
      })
      throw invalidClient('the client secret is wrong or missing')
    }
    await release(route, reservation)
  } else if (confidential) {
    throw invalidClient('this endpoint is for confidential clients (a client with a secret)')
  }
  return id
}
