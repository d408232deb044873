/**
 * The plumbing of the TokenStore conformance kit (store-conformance.ts): what a check is, which
 * optional parts of a store it needs, and the helpers every section of checks is given.
 *
 * @internal
 */
import { SESSION_STORE_METHODS, type SessionStore, type TokenStore } from '../stores/types.js'

/**
 * An optional part of a {@link TokenStore} a check may need: `'sessions'` is the four required
 * session methods together; the others are single optional methods.
 */
export type StorePart = 'sessions' | 'spendRefresh' | 'spentGeneration' | 'getSession' | 'deleteSessions'

/** A store with every optional part: what a check that requires them is given. */
export type FullStore = TokenStore &
  SessionStore &
  Required<Pick<TokenStore, 'spendRefresh' | 'spentGeneration'>> &
  Required<Pick<SessionStore, 'getSession' | 'deleteSessions'>>

/**
 * One behaviour the suite checks. Internal: `runTokenStoreConformance` turns each into a vitest
 * test, and tokenward's own tests run them against deliberately broken stores to prove that each
 * one catches the bug it is named for.
 *
 * @internal
 */
export interface ConformanceCheck {
  group: string
  name: string
  /** Waits for entries to expire (in real time unless `advanceTime` is given). */
  waits: boolean
  /** A check of the optional sessions section (it requires `'sessions'`). */
  sessions: boolean
  /** The optional parts the check needs: on a store without one of them it passes at once (the suite skips it). */
  requires: readonly StorePart[]
  run: (store: TokenStore) => Promise<void>
}

/** True when `store` has all four session methods (the optional sessions section applies). */
export function keepsSessions(store: TokenStore): store is TokenStore & SessionStore {
  return SESSION_STORE_METHODS.every((name) => typeof store[name] === 'function')
}

/** The parts of `parts` that `store` lacks. */
export function missingParts(store: TokenStore, parts: readonly StorePart[]): StorePart[] {
  return parts.filter((part) =>
    part === 'sessions' ? !keepsSessions(store) : typeof store[part] !== 'function',
  )
}

/** The helpers of the kit every section of checks is given. */
export interface CheckKit {
  /** Now, epoch seconds, by the kit's clock (the store's, when it is injected). */
  sec: () => number
  /** Now, epoch milliseconds, by the kit's clock. */
  ms: () => number
  /** Waits `ms` (or advances the injected clock). */
  advance: (ms: number) => Promise<void>
  /** A fresh name for a key, id or subject. */
  unique: (label: string) => string
  /** `n` results of `fn`. */
  times: <T>(n: number, fn: (i: number) => T) => T[]
  /** Registers one check that runs on every store. */
  check: (name: string, run: (store: TokenStore) => Promise<void>, waits?: boolean) => void
  /** Registers one session check (passes at once on a store that keeps no records). */
  sessionCheck: (
    name: string,
    run: (store: TokenStore & SessionStore) => Promise<void>,
    waits?: boolean,
  ) => void
  /** Registers one check that needs the optional `parts` (passes at once on a store without one of them). */
  partCheck: (
    name: string,
    parts: readonly StorePart[],
    run: (store: FullStore) => Promise<void>,
    waits?: boolean,
  ) => void
  /** Names the group of the checks registered next. */
  group: (name: string) => void
}

/** Builds the kit over `checks` (the list it appends to) and the clock. */
export function checkKit(
  checks: ConformanceCheck[],
  clock: { now: () => number; advance: (ms: number) => Promise<void> },
): CheckKit {
  let group = ''
  let counter = 0
  // Every check that waits for expiry sits in one group, so that in real time they run side by side.
  const partCheck: CheckKit['partCheck'] = (name, parts, run, waits = false) => {
    checks.push({
      group: waits ? 'expiry' : group,
      name,
      waits,
      sessions: parts.includes('sessions'),
      requires: parts,
      run: async (store) => {
        // Nothing to check on a store without the part: the method is optional.
        if (missingParts(store, parts).length === 0) await run(store as FullStore)
      },
    })
  }
  return {
    sec: () => clock.now() / 1000,
    ms: clock.now,
    advance: clock.advance,
    unique: (label) =>
      `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2)}`,
    times: (n, fn) => Array.from({ length: n }, (_, i) => fn(i)),
    check: (name, run, waits = false) => {
      checks.push({ group: waits ? 'expiry' : group, name, waits, sessions: false, requires: [], run })
    },
    sessionCheck: (name, run, waits) => partCheck(name, ['sessions'], run, waits),
    partCheck,
    group: (name) => {
      group = name
    },
  }
}
