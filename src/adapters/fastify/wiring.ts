/** tokenward/fastify: start-up checks (one section of the adapter; src/adapters/fastify.ts re-exports it). */
import type { FastifyInstance, RouteOptions } from 'fastify'
import { checkNames } from '../../core/options/validate.js'
import type { Requirement } from '../../index.js'
import { requirementOf } from '../kit/guards.js'
import { WiringError } from '../kit/wiring.js'
import type { RouteAuthConfig } from './types.js'

// Marks the config of every route the plugin's onRoute hook saw (symbols survive Fastify's copy).
export const SEEN = Symbol('tokenward.routeSeen')
export const REQUIREMENT_NAMES = ['roles', 'scopes', 'permissions', 'maxAge', 'optional'] as const

/** `config.auth`, checked: `true`, `false`, or `{ roles?, scopes?, permissions?, optional? }`. */
export function routeAuthOf(route: RouteOptions): RouteAuthConfig | undefined {
  const config = (route.config as { auth?: unknown } | undefined)?.auth
  if (config === undefined || typeof config === 'boolean') return config
  const where = `config.auth of ${[route.method].flat().join(',')} ${route.url}`
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new TypeError(
      `tokenward: ${where} must be true, false or { roles?, scopes?, permissions?, optional? }`,
    )
  checkNames(config, REQUIREMENT_NAMES, where)
  const { optional, ...rest } = config as Requirement & { optional?: unknown }
  if (optional !== undefined && typeof optional !== 'boolean')
    throw new TypeError(`tokenward: ${where}: \`optional\` must be true or false`)
  return { ...requirementOf(rest, where), ...(optional !== undefined && { optional }) } as RouteAuthConfig
}

/** What the route-order check knows, per Fastify app (shared by every registration of the plugin). */
export interface RouteWatch {
  /** Where the plugin is registered (each instance covers its descendants), and with `protect` or not. */
  scopes: { instance: object; protect: boolean }[]
  /** Routes that want tokenward but were never seen by its onRoute hook: `GET /admin` → what is wrong. */
  problems: Map<string, string>
}
export const watches = new WeakMap<object, RouteWatch>()

/** An internal of Fastify found by its symbol's description (not part of Fastify's API). */
export function internal(app: object, description: string): unknown {
  for (let o: object | null = app; o !== null; o = Object.getPrototypeOf(o))
    for (const symbol of Object.getOwnPropertySymbols(o))
      if (symbol.description === description) return (o as Record<symbol, unknown>)[symbol]
  return undefined
}

/** True when `instance` is `scope` or a Fastify instance encapsulated below it (its prototype chain). */
export function inScope(instance: object, scope: object): boolean {
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o)) if (o === scope) return true
  return false
}

/**
 * Fastify hands every route's context to its 404 module once, when the app gets ready — the one
 * place that sees ALL routes, including those declared before this plugin loaded (which its onRoute
 * hook never saw: Fastify runs onRoute hooks only for routes declared after they are added). A
 * route there that wants tokenward (`config.auth`, or any route under `protect: true`) but was not
 * seen would be served unprotected; the plugin's onReady hook refuses to start instead.
 *
 * This reads a Fastify internal; test/adapters pins it on the Fastify version in use.
 */
export function watchRoutes(app: FastifyInstance): RouteWatch | undefined {
  const fourOhFour = internal(app, 'fastify.404') as
    | { setContext?: (instance: object, context: { config?: Record<PropertyKey, unknown> }) => unknown }
    | undefined
  if (typeof fourOhFour?.setContext !== 'function') return undefined
  const existing = watches.get(fourOhFour)
  if (existing) return existing
  const watch: RouteWatch = { scopes: [], problems: new Map() }
  watches.set(fourOhFour, watch)
  const original = fourOhFour.setContext
  fourOhFour.setContext = function tokenwardSeeRoute(instance, context) {
    const config = context?.config
    if (config && config[SEEN] !== true && config.auth !== false) {
      const scope = watch.scopes.find((s) => inScope(instance, s.instance))
      const method = [config.method].flat().join(',')
      // Fastify's own HEAD twin of a GET route is reported with it.
      const headTwin = method === 'HEAD' && watch.problems.has(`GET ${String(config.url)}`)
      // Under `protect`, an OPTIONS route registered first (a CORS plugin's preflight) may stay open.
      const protectedByScope = scope?.protect === true && method !== 'OPTIONS'
      if ((config.auth !== undefined || protectedByScope) && !headTwin)
        watch.problems.set(
          `${method} ${String(config.url)}`,
          scope
            ? 'was declared before the tokenward plugin loaded'
            : 'has config.auth, but tokenward is not registered in its scope',
        )
    }
    return original.call(this, instance, context)
  }
  return watch
}

export function routeOrderError(problems: ReadonlyMap<string, string>): Error {
  return new WiringError(
    `tokenward: ${problems.size === 1 ? 'a route would be' : `${problems.size} routes would be`} served without authentication:\n` +
      [...problems].map(([route, what]) => `  - ${route} ${what}`).join('\n') +
      '\nDeclare protected routes after `await app.register(tokenward, { auth })` — and await it: without `await`, ' +
      'routes declared right after register() are added before the plugin loads. A route in another plugin ' +
      'needs tokenward registered in that plugin or a parent of it.',
  )
}
