/**
 * The OpenAPI 3.1 document of the auth routes, generated from the one route table
 * (http/routes/table.ts) and the route options in force: paths under the prefix, the root routes
 * when keys are published, and the bearer / cookie / client security schemes.
 */
import type { Auth } from '../core/types/index.js'
import { resolveRouteOptions } from './options.js'
import { routeCoreOf } from './route-context.js'
import { ROOT_TABLE, ROUTE_TABLE, type RouteDoc } from './routes/table.js'
import type { AuthRouteOptions } from './types.js'

/** An OpenAPI 3.1 document (plain JSON). */
export type OpenApiDocument = Record<string, unknown>

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const jsonOf = (schema: object) => ({ 'application/json': { schema } })
const bodyOf = (schema: string, form = true) => ({
  required: true,
  content: {
    'application/json': { schema: ref(schema) },
    ...(form ? { 'application/x-www-form-urlencoded': { schema: ref(schema) } } : {}),
  },
})
const answer = (description: string, schema?: string) =>
  schema ? { description, content: jsonOf(ref(schema)) } : { description }
const ERRORS = {
  '400': answer('Bad request (`invalid_request`)', 'Error'),
  '401': answer('Not authenticated (see `error`)', 'Error'),
  '429': answer('Too many failed logins (`Retry-After`)', 'Error'),
  '503': answer('The token store is unavailable (fail closed)', 'Error'),
}
const OAUTH_ERRORS = {
  '400': answer('RFC 6749 §5.2 error', 'OAuthError'),
  '401': answer('`invalid_client`', 'OAuthError'),
  '503': answer('`temporarily_unavailable`', 'OAuthError'),
}
const TOKENS = { '200': answer('A new token pair', 'TokenResponse') }
const str = { type: 'string' }

const OPERATIONS: Record<RouteDoc, Record<string, unknown>> = {
  login: {
    summary: 'Log in with a username and password',
    requestBody: bodyOf('Credentials'),
    responses: { ...TOKENS, ...ERRORS },
  },
  token: {
    summary: 'OAuth 2.0 token endpoint: password and refresh_token grants (RFC 6749 §4.3, §6)',
    requestBody: bodyOf('TokenRequest'),
    responses: {
      ...TOKENS,
      ...OAUTH_ERRORS,
      '429': answer('Rate-limited (`invalid_grant`, `Retry-After`)', 'OAuthError'),
    },
  },
  refresh: {
    summary: 'Rotate a refresh token',
    requestBody: bodyOf('RefreshRequest'),
    responses: { ...TOKENS, ...ERRORS },
  },
  logout: {
    summary: 'End the session of the presented access or refresh token',
    requestBody: { ...bodyOf('RefreshRequest'), required: false },
    responses: { '204': answer('The session is revoked'), ...ERRORS },
  },
  reauthenticate: {
    summary: 'Step-up: prove the password again for a fresh pair in the same session (auth_time now)',
    requestBody: bodyOf('Credentials'),
    responses: { ...TOKENS, ...ERRORS },
  },
  me: {
    summary: 'The signed-in user',
    responses: { '200': answer('The user (private fields removed)', 'User'), ...ERRORS },
  },
  revoke: {
    summary: 'Revoke a token (RFC 7009)',
    requestBody: bodyOf('RevokeRequest'),
    responses: { '200': answer('Revoked, or not a valid token (RFC 7009 §2.2)'), ...OAUTH_ERRORS },
  },
  introspect: {
    summary: 'Introspect a token (RFC 7662); the caller authenticates as a client',
    requestBody: bodyOf('RevokeRequest'),
    responses: {
      '200': answer('Active with its claims, or `{ "active": false }`', 'Introspection'),
      ...OAUTH_ERRORS,
    },
  },
  listSessions: {
    summary: "The caller's sessions (signed-in devices), newest first; the current one marked",
    responses: {
      '200': answer('The sessions', 'Sessions'),
      '501': answer('The token store keeps no session records (`sessions_unsupported`)', 'Error'),
      ...ERRORS,
    },
  },
  revokeSession: {
    summary: "End one of the caller's sessions (revokes its token family)",
    parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
    responses: {
      '204': answer('The session is revoked'),
      '404': answer('No such session of the caller (`session_not_found`)', 'Error'),
      '501': answer('The token store keeps no session records (`sessions_unsupported`)', 'Error'),
      ...ERRORS,
    },
  },
  openapi: { summary: 'This document', responses: { '200': answer('OpenAPI 3.1', 'Object') } },
}

/** The routes that authenticate the caller's access token (Bearer, or the cookie in cookie mode). */
const AUTHENTICATED: ReadonlySet<RouteDoc> = new Set<RouteDoc>(['me', 'listSessions', 'revokeSession'])

const SCHEMAS = {
  Object: { type: 'object' },
  User: { type: 'object', additionalProperties: true },
  Error: { type: 'object', required: ['error', 'message'], properties: { error: str, message: str } },
  OAuthError: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        enum: [
          'invalid_request',
          'invalid_client',
          'invalid_grant',
          'unsupported_grant_type',
          'temporarily_unavailable',
        ],
      },
      error_description: str,
    },
  },
  Credentials: {
    type: 'object',
    required: ['password'],
    properties: {
      username: str,
      email: str,
      password: { type: 'string', format: 'password', maxLength: 1024 },
    },
  },
  RefreshRequest: { type: 'object', properties: { refresh_token: str } },
  TokenRequest: {
    type: 'object',
    properties: {
      grant_type: { enum: ['password', 'refresh_token'], default: 'password' },
      username: str,
      password: { type: 'string', format: 'password' },
      refresh_token: str,
      client_id: str,
      client_secret: str,
    },
  },
  RevokeRequest: {
    type: 'object',
    required: ['token'],
    properties: {
      token: str,
      token_type_hint: { enum: ['access_token', 'refresh_token'] },
      client_id: str,
      client_secret: str,
    },
  },
  TokenResponse: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in'],
    properties: {
      access_token: str,
      refresh_token: str,
      // 'DPoP' when the request carried a DPoP proof (RFC 9449 §5).
      token_type: { enum: ['bearer', 'DPoP'] },
      expires_in: { type: 'integer' },
      refresh_expires_in: { type: 'integer' },
      csrf_token: str,
    },
  },
  Sessions: {
    type: 'object',
    required: ['sessions'],
    properties: {
      sessions: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'address', 'current'],
          properties: {
            id: str,
            created_at: { type: 'integer' },
            last_used_at: { type: 'integer' },
            expires_at: { type: 'integer' },
            user_agent: { type: ['string', 'null'] },
            address: { type: ['string', 'null'] },
            current: { type: 'boolean' },
          },
        },
      },
    },
  },
  Introspection: {
    type: 'object',
    required: ['active'],
    properties: {
      active: { type: 'boolean' },
      token_type: str,
      scope: str,
      client_id: str,
      sub: str,
      exp: { type: 'integer' },
    },
  },
}

/**
 * The OpenAPI 3.1 document of the auth routes as `createAuthRoutes(auth, routeOptions)` serves
 * them. Serve it yourself, or set `openapi: true` in the route options to have it at
 * `<prefix>/openapi.json`.
 *
 * @example
 * ```ts
 * import { authOpenApi, createAuth } from 'tokenward'
 *
 * const auth = createAuth({ secret: process.env.JWT_SECRET! })
 * const document = authOpenApi(auth, { findUser: () => null })
 * console.log(Object.keys(document.paths as object)) // ['/auth/login', '/auth/token', …]
 * ```
 */
export function authOpenApi<C extends object, U, RU = U>(
  auth: Auth<C, U>,
  routeOptions: AuthRouteOptions<RU, C>,
): OpenApiDocument {
  const core = routeCoreOf(auth)
  const settings = resolveRouteOptions(core, routeOptions as unknown as AuthRouteOptions<unknown, object>)
  const paths: Record<string, Record<string, unknown>> = {}
  const routes = [
    ...ROUTE_TABLE,
    ...(routeOptions.openapi ? [{ method: 'GET', path: '/openapi.json', doc: 'openapi' as const }] : []),
  ]
  for (const route of routes) {
    const operation = { ...OPERATIONS[route.doc], operationId: route.doc, tags: ['auth'] }
    if (AUTHENTICATED.has(route.doc))
      Object.assign(operation, {
        security: settings.cookies ? [{ bearer: [] }, { cookie: [] }] : [{ bearer: [] }],
      })
    // OpenAPI writes a path parameter `{id}` where the route table writes `:id`.
    const path = `${settings.prefix}${route.path.replace(/:(\w+)/g, '{$1}')}`
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation }
  }
  if (core.settings.publishesKeys)
    for (const { path } of ROOT_TABLE)
      paths[path] = {
        get: {
          summary: `Public: ${path}`,
          operationId: path.slice(13),
          responses: { '200': answer('JSON', 'Object') },
        },
      }
  const securitySchemes: Record<string, unknown> = {
    bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  }
  if (settings.cookies)
    securitySchemes.cookie = { type: 'apiKey', in: 'cookie', name: settings.cookies.names.access }
  if (core.settings.clients) securitySchemes.client = { type: 'http', scheme: 'basic' }
  return {
    openapi: '3.1.0',
    info: { title: 'tokenward auth routes', version: '1.0.0' },
    paths,
    components: { schemas: SCHEMAS, securitySchemes },
  }
}
