/** The one object every auth route handler takes, built once by `createAuthRoutes`. */
import { type AuthCore, coreOf } from '../core/context.js'
import { callback } from '../core/errors.js'
import type { Auth, ClaimsInput } from '../core/types/index.js'
import type { TokenStore } from '../stores/types.js'
import type { ResolvedRouteOptions } from './options.js'
import type { AuthRouteOptions } from './types.js'

/** The dummy hash of unknown users, and the time a check against it takes (updated as it runs). */
export interface Dummy {
  hash: string
  /** How long the last checks against it took, ms (a ring of the most recent). */
  times: number[]
  /** The next slot of `times` to overwrite. */
  next: number
}

/** What the handlers remember between requests, whatever path the routes are served under. */
export interface RouteMemory {
  /**
   * The hash an unknown user's password is checked against, and what checking it costs (ms, a
   * moving average): made when the routes answer their first request, so the first unknown user
   * costs no more than later ones.
   */
  dummy: Promise<Dummy> | undefined
  /** The "no client address" warning was sent. */
  warnedNoAddress: boolean
}

/** What the route handlers share: read-only, and one per path the routes are served under. */
export interface RouteContext {
  readonly auth: Auth<object, unknown>
  /** The core behind `auth` (context.ts `coreOf`): the routes call the operations on it directly. */
  readonly core: AuthCore
  /** The options as given (the application's callbacks). */
  readonly options: AuthRouteOptions<unknown, object>
  /** Checked settings with defaults. */
  readonly settings: ResolvedRouteOptions
  readonly store: TokenStore
  /** Maps a user to token claims (`claimsFor` or the default). */
  readonly claimsFor: (user: unknown) => ClaimsInput<object> | Promise<ClaimsInput<object>>
  /** Shared by every path the routes are served under. */
  readonly memory: RouteMemory
}

/**
 * The core behind `auth` (context.ts `coreOf`): the auth routes and their OpenAPI document need
 * an Auth that `createAuth` made, and say so at start-up for any other object.
 */
export function routeCoreOf(auth: object): AuthCore {
  const core = coreOf(auth)
  if (!core)
    throw new TypeError('tokenward: the auth routes need an Auth made by createAuth (this object was not)')
  return core
}

/**
 * Runs one of the application's callbacks (`findUser`, `claimsFor` …) through the error boundary:
 * its bug or outage reaches the framework's error handling (500) and an `error` event, never a
 * fake `store_unavailable`.
 */
export function appCallback<T>(route: RouteContext, source: string, call: () => T | Promise<T>): Promise<T> {
  return callback(route.core.emit, source, call)
}
