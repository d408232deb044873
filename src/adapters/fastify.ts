/**
 * `tokenward/fastify`: a Fastify 5 plugin (made with fastify-plugin, so its decorations reach the
 * parent scope).
 *
 * Sections, as in the Express and Hono adapters: types → error out → credentials in → guards →
 * auth routes (the shared parts are in kit/, one file per concern) — then the start-up checks and
 * the plugin.
 *
 * @packageDocumentation
 */

import './fastify/types.js'

export { authErrorReply } from './fastify/errors.js'
export { requireFresh, requirePermissions, requireRoles, requireScopes } from './fastify/guards.js'
export { default, tokenwardPlugin } from './fastify/plugin.js'
export type { RouteAuthConfig, TokenwardFastifyOptions } from './fastify/types.js'
export type { TokenLookup } from './kit/options.js'
