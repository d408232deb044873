/** `POST /token`: the OAuth 2.0 token endpoint (RFC 6749 §4.3 password grant, §6 refresh). */
import { badRequest, stringField } from '../body.js'
import type { RouteContext } from '../route-context.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'
import { login } from './login.js'
import { refresh } from './refresh.js'

/** The token route: dispatches on `grant_type` (default `password`). */
export function token(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
): Promise<AuthRouteResponse> {
  const grant = stringField(fields, 'grant_type', false) ?? 'password'
  if (grant === 'password') return login(route, request, fields)
  if (grant === 'refresh_token') return refresh(route, request, fields)
  throw badRequest('grant_type must be password or refresh_token')
}
