/**
 * `tokenward/fetch`: the auth routes and authentication for a server without a framework — any
 * `(request: Request) => Response` handler: `Bun.serve`, `Deno.serve`, a Cloudflare Workers
 * `fetch` export, a Next.js route handler. Runtime-neutral (no `node:` imports).
 *
 * It adds no logic of its own: the routes are the framework-neutral ones every adapter mounts,
 * and authentication, guards and error answers come from the same kit as the Express, Fastify and
 * Hono adapters, so every answer is theirs. See docs/fetch.md.
 *
 * @packageDocumentation
 */

export { authenticateRequest } from './fetch/credentials.js'
export { authErrorResponse } from './fetch/errors.js'
export { authHandler } from './fetch/routes.js'
export type { AuthHandler, FetchAuthenticateOptions, FetchAuthRouteOptions } from './fetch/types.js'
export type { TokenLookup } from './kit/options.js'
