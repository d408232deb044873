/**
 * `tokenward/express`: middleware and auth routes for Express 5 (and 4).
 *
 * Sections, as in the Fastify and Hono adapters: types → error out → credentials in → guards →
 * auth routes (the shared parts are in kit/, one file per concern).
 *
 * @packageDocumentation
 */

import './express/types.js'

export { authenticate } from './express/credentials.js'
export { authErrorHandler } from './express/errors.js'
export {
  requireAuth,
  requireFresh,
  requirePermissions,
  requireRoles,
  requireScopes,
} from './express/guards.js'
export { authRouter } from './express/routes.js'
export { type ExpressAuthenticateOptions, getAuth } from './express/types.js'
export type { TokenLookup } from './kit/options.js'
