/**
 * The one context every operation takes (verify, authenticate, issue, refresh, revoke, one-time),
 * built once by `createAuth`, and the error boundary: the single place that decides what a thrown
 * value means.
 *
 * - A client's mistake is an {@link AuthError} (4xx) from the check that found it.
 * - A failure of the token store is `store_unavailable` (503): fail closed.
 * - A throw from the application's own callback (`resolveUser`, `claimsFor`, `findUser` …) or
 *   from tokenward itself is NOT a store outage: it is rethrown as it is (the framework answers
 *   500 with its cause) and reported as an `error` event.
 * - The realm is applied once, at the boundary of each public operation.
 */
import type { TokenStore } from '../stores/types.js'
import { applyRealm } from './errors.js'
import type { VerifiedTokenCache } from './jws/cache.js'
import type { KeySet } from './keys/index.js'
import type { ResolvedOptions } from './options/index.js'
import type { AuthEvent, AuthOptions, DistributiveOmit } from './types/index.js'

/** Keys are imported once, in the background; `current` is set as soon as they are. */
export interface KeyRing {
  current: KeySet | undefined
  readonly ready: Promise<KeySet>
}

/** What every operation module works with. One object per `createAuth`, never rebuilt. */
export interface AuthCore {
  /** The options as given (the application's callbacks are read from here). */
  readonly options: AuthOptions<object, unknown>
  /** Checked settings with defaults applied. */
  readonly settings: ResolvedOptions
  readonly keys: KeyRing
  readonly store: TokenStore
  readonly cache: VerifiedTokenCache | undefined
  /** Clock, epoch ms. */
  readonly now: () => number
  /** Sends an audit event to `onEvent`; never throws. */
  readonly emit: (event: DistributiveOmit<AuthEvent, 'at'>) => void
  /** Latest subject cutoff set by this process, epoch ms (issue times are kept after it). */
  lastCutoffMs: number
}

/** The key set, or a promise of it while the keys are still being imported. */
export function keysOf(core: AuthCore): KeySet | Promise<KeySet> {
  return core.keys.current ?? core.keys.ready
}

// --- the error boundary ------------------------------------------------------------------------------

export { applyRealm, callback, callbackFailure, storeCall, storeFailure } from './errors.js'

/** The configured realm on an AuthError (applied once, where a public operation returns). */
export function withRealm(core: AuthCore, err: unknown): unknown {
  return applyRealm(core.settings.realm, err)
}

/** A rejected promise carrying `err` with the realm applied. */
export function rejectWithRealm(core: AuthCore, err: unknown): Promise<never> {
  return Promise.reject(withRealm(core, err))
}
