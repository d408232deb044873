/**
 * `tokenward/hono`: middleware and auth routes for Hono 4. Runtime-neutral — no `node:` imports —
 * so it runs on Node (@hono/node-server), Bun, Deno and edge workers.
 *
 * Sections, as in the Express and Fastify adapters: types → error out → credentials in → guards →
 * auth routes (the shared parts are in kit/, one file per concern).
 *
 * @packageDocumentation
 */

import './hono/types.js'

export { authenticate, type HonoProtectOptions, protect } from './hono/credentials.js'
export { authErrorResponse } from './hono/errors.js'
export { requireAuth, requireFresh, requirePermissions, requireRoles, requireScopes } from './hono/guards.js'
export { authRoutes } from './hono/routes.js'
export type { AuthEnv, AuthVariables, HonoAuthenticateOptions, HonoAuthRouteOptions } from './hono/types.js'
export type { TokenLookup } from './kit/options.js'
