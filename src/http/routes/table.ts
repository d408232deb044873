/**
 * The one table of auth routes: adapters register it, `createAuthRoutes` dispatches on it, and the
 * OpenAPI document (http/openapi.ts) is generated from it.
 */
import type { RouteContext } from '../route-context.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'
import { introspectRoute } from './introspect.js'
import { loginRoute } from './login.js'
import { logoutRoute } from './logout.js'
import { meRoute } from './me.js'
import { reauthenticateRoute } from './reauthenticate.js'
import { refreshRoute } from './refresh.js'
import { revokeRoute } from './revoke.js'
import { listSessionsRoute, revokeSessionRoute } from './sessions.js'
import { tokenRoute } from './token.js'
import { jwksRoute, metadataRoute } from './well-known.js'

/** Which description the OpenAPI document gives a route. */
export type RouteDoc =
  | 'login'
  | 'token'
  | 'refresh'
  | 'logout'
  | 'me'
  | 'reauthenticate'
  | 'revoke'
  | 'introspect'
  | 'listSessions'
  | 'revokeSession'
  | 'openapi'

type Handler = (
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
) => Promise<AuthRouteResponse>

/** One auth route: how it is called, how its errors are answered, and what the OpenAPI document says of it. */
export interface RouteEntry {
  method: 'GET' | 'POST' | 'DELETE'
  /** Below the prefix; a `:name` segment stands for any one non-empty segment (`/sessions/:id`). */
  path: string
  handler: Handler
  /** Reads a JSON or form body. */
  body: boolean
  /** Errors in RFC 6749 §5.2 form (the OAuth endpoints) instead of tokenward's `{ error, message }`. */
  oauth: boolean
  /** What the OpenAPI document says (see http/openapi.ts). */
  doc: RouteDoc
}

/** The one route table: adapters register it, the OpenAPI document is generated from it. */
export const ROUTE_TABLE: readonly RouteEntry[] = [
  { method: 'POST', path: '/login', handler: loginRoute, body: true, oauth: false, doc: 'login' },
  { method: 'POST', path: '/token', handler: tokenRoute, body: true, oauth: true, doc: 'token' },
  { method: 'POST', path: '/refresh', handler: refreshRoute, body: true, oauth: false, doc: 'refresh' },
  { method: 'POST', path: '/logout', handler: logoutRoute, body: true, oauth: false, doc: 'logout' },
  { method: 'GET', path: '/me', handler: meRoute, body: false, oauth: false, doc: 'me' },
  {
    method: 'POST',
    path: '/reauthenticate',
    handler: reauthenticateRoute,
    body: true,
    oauth: false,
    doc: 'reauthenticate',
  },
  { method: 'POST', path: '/revoke', handler: revokeRoute, body: true, oauth: true, doc: 'revoke' },
  {
    method: 'POST',
    path: '/introspect',
    handler: introspectRoute,
    body: true,
    oauth: true,
    doc: 'introspect',
  },
  {
    method: 'GET',
    path: '/sessions',
    handler: listSessionsRoute,
    body: false,
    oauth: false,
    doc: 'listSessions',
  },
  {
    method: 'DELETE',
    path: '/sessions/:id',
    handler: revokeSessionRoute,
    body: false,
    oauth: false,
    doc: 'revokeSession',
  },
]

/** The route table, for adapters to register. */
export const AUTH_ROUTES: ReadonlyArray<{ method: 'GET' | 'POST' | 'DELETE'; path: string }> =
  ROUTE_TABLE.map(({ method, path }) => ({ method, path }))

/** The routes at the root (not under the prefix), when asymmetric keys are configured. */
export const ROOT_TABLE: ReadonlyArray<{
  path: string
  handler: (route: RouteContext) => Promise<AuthRouteResponse | undefined>
}> = [
  { path: '/.well-known/jwks.json', handler: jwksRoute },
  { path: '/.well-known/oauth-authorization-server', handler: metadataRoute },
]
