/**
 * The one context every operation takes (verify, authenticate, issue, refresh, revoke, one-time,
 * sessions, dpop), built once by `createAuth`. In order: its shape, {@link coreOf} (the one door
 * from an `Auth` to it, for the auth routes and the adapters), what the operations read of it, and
 * the configured realm put on an error where a public operation returns. What a thrown value means
 * is decided in errors.ts.
 */
import type { TokenStore } from '../stores/types.js'
import { type CsrfKeys, processCsrfKeys } from './credentials/csrf.js'
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
  /** The verified-token cache (`cache` option); `undefined` when off. */
  readonly verifiedTokens: VerifiedTokenCache | undefined
  /** Clock, epoch ms. */
  readonly now: () => number
  /** Sends an audit event to `onEvent`; never throws. */
  readonly emit: (event: DistributiveOmit<AuthEvent, 'at'>) => void
  /** Latest subject cutoff set by this process, epoch ms (issue times are kept after it). */
  lastCutoffMs: number
}

/**
 * Where `createAuth` keeps the context on the Auth object. `Symbol.for`, so an Auth made by one
 * copy of the package (ESM and CommonJS builds side by side) is still found by another.
 */
const CORE = Symbol.for('tokenward.core')

/** Attaches the context to the Auth object it backs (non-enumerable, read-only). */
export function attachCore(auth: object, core: AuthCore): void {
  Object.defineProperty(auth, CORE, { value: core })
}

/**
 * The context behind an Auth made by `createAuth`, or `undefined` for any other object: the one
 * internal door into the core (the auth routes and the adapters go through it; applications use
 * the Auth methods). One property read.
 *
 * @internal
 */
export function coreOf(auth: object): AuthCore | undefined {
  return (auth as { [CORE]?: AuthCore })[CORE]
}

/** The CSRF keys of an Auth made by `createAuth`, or the per-process ones for any other object. */
export function csrfKeysOf(auth: object): CsrfKeys {
  return coreOf(auth)?.settings.csrf ?? processCsrfKeys()
}

/** The key set, or a promise of it while the keys are still being imported. */
export function keysOf(core: AuthCore): KeySet | Promise<KeySet> {
  return core.keys.current ?? core.keys.ready
}

// --- the realm ---------------------------------------------------------------------------------------------

/** The configured realm on an AuthError (applied once, where a public operation returns; errors.ts). */
export function withRealm(core: AuthCore, err: unknown): unknown {
  return applyRealm(core.settings.realm, err)
}

/** A rejected promise carrying `err` with the realm applied. */
export function rejectWithRealm(core: AuthCore, err: unknown): Promise<never> {
  return Promise.reject(withRealm(core, err))
}
