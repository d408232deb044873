import { DPOP_PROOF_PREFIX } from '../../core/lib/constants.js'
import { checkNames, functionOption, integerOption } from '../../core/options/validate.js'
import { checkHit } from '../checks.js'
import type { CutoffCheck, TokenStore } from '../types.js'
import { unref } from '../util.js'
import { fullError, liveEntry } from './bounds.js'
import { memoryCounters } from './counters.js'
import { ProofIds } from './proofs.js'
import { memoryRefresh } from './refresh.js'
import { securityEntries } from './security.js'
import { memorySessions } from './sessions.js'

/**
 * Options of {@link memoryStore}.
 *
 * @example
 * ```ts
 * // 200 000 entries: 50 000 for rate-limit counters, 150 000 for revocations and spent marks.
 * const store = memoryStore({ maxEntries: 200_000, maxCounters: 50_000 })
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Most entries held at once (default 100 000), split in two bounds that never borrow from each
   * other: `maxCounters` for login rate-limit counters, the rest (`maxEntries − maxCounters`) for
   * revocations, spent-token marks, subject cutoffs and the spend state of each refresh-token
   * family (one per session, however often it rotates).
   *
   * A full store first drops what has expired. It never drops a live entry to make room: forgetting
   * a revocation would make a revoked token valid again, forgetting a spent refresh-token mark would
   * switch reuse detection off, and forgetting a counter would reset a brute-force limit. Instead
   * the write rejects with an `Error` and the request fails closed (503 `store_unavailable`) until
   * entries expire. See docs/custom-store.md, "memoryStore when full".
   */
  maxEntries?: number
  /**
   * How many of `maxEntries` rate-limit counters may use (default a fifth of `maxEntries`, at
   * least 1). Counters are keyed by what clients send (usernames, addresses), so they get their
   * own bound: a flood of them cannot push out a revocation. When they are all live, a login
   * that needs a new counter is refused (503) rather than any counter being reset.
   */
  maxCounters?: number
  /**
   * Most DPoP proof ids held at once (default a fifth of `maxEntries`, at least 1): a bound of
   * their own, on top of `maxEntries`. A proof id is remembered until the proof could no longer be
   * accepted, so that it is never accepted twice (RFC 9449 §11.1); proofs come from clients before
   * they are authenticated, so a flood of them must never take the room of a revocation or a spent
   * mark.
   *
   * The bound is shared fairly between the keys that send proofs (the `<jkt>` of
   * `dpop:<jkt>:<jti>`). When it is full of live proof ids, the store forgets the OLDEST proof id
   * of the key holding the most — so one client sending fresh proofs as fast as it can only makes
   * its own oldest proofs replayable, never another client's, and every other client's requests
   * keep working — as long as that key holds more than 1 % of the bound (at least 1). When no key
   * does, the flood comes from many keys at once, and a request with a new proof is refused (503)
   * rather than any other proof id forgotten. See docs/custom-store.md, "memoryStore when full".
   */
  maxProofs?: number
  /**
   * Most session records held at once (default a fifth of `maxEntries`, at least 1): a bound of
   * their own, on top of `maxEntries`, so logins never take the room of a revocation. When they
   * are all live, a login is refused (503) rather than any record forgotten — a forgotten record
   * would hide a signed-in device from "sign out other devices" (docs/sessions.md).
   */
  maxSessions?: number
  /** Clock in epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number
  /** How often expired entries are swept, in ms (default 60 000). The timer never keeps a process alive. */
  sweepIntervalMs?: number
}

const OPTION_NAMES = [
  'maxEntries',
  'maxCounters',
  'maxProofs',
  'maxSessions',
  'now',
  'sweepIntervalMs',
] as const

/**
 * `memoryStore(options)` checked like createAuth's — unknown names rejected with the closest valid
 * one, numbers whole and in range — with every default applied.
 */
function settingsOf(options: MemoryStoreOptions) {
  checkNames(options, OPTION_NAMES, 'memoryStore')
  const maxEntries = integerOption(options.maxEntries, 'maxEntries', { min: 2, fallback: 100_000 })
  const fifth = Math.max(1, Math.floor(maxEntries / 5))
  const maxCounters = integerOption(options.maxCounters, 'maxCounters', {
    min: 1,
    max: maxEntries - 1,
    fallback: fifth,
  })
  return {
    bounds: {
      security: maxEntries - maxCounters,
      counters: maxCounters,
      proofs: integerOption(options.maxProofs, 'maxProofs', { min: 1, fallback: fifth }),
      sessions: integerOption(options.maxSessions, 'maxSessions', { min: 1, fallback: fifth }),
    },
    now: functionOption(options.now, 'now') ?? Date.now,
    sweepIntervalMs: integerOption(options.sweepIntervalMs, 'sweepIntervalMs', {
      min: 1,
      max: 86_400_000,
      fallback: 60_000,
    }),
  }
}

/** The stores `memoryStore` made: what they hold does not outlive the process. */
const inMemory = new WeakSet<object>()

/** True for a store `memoryStore` made (createAuth warns of it in production). */
export function isMemoryStore(store: object): boolean {
  return inMemory.has(store)
}

/**
 * The in-process {@link TokenStore}: the default when `createAuth` is given no store. Bounded,
 * sweeps expired entries, atomic `consume`, `hit` and `spendRefresh` (JavaScript runs each in one
 * turn). Right for a single process; several servers need a shared store such as
 * `tokenward/redis`. Each kind of entry has a bound of its own — revocations and spent marks,
 * rate-limit counters ({@link MemoryStoreOptions.maxCounters}), DPoP proof ids
 * ({@link MemoryStoreOptions.maxProofs}), session records ({@link MemoryStoreOptions.maxSessions})
 * — and a full one refuses new entries (fails closed) rather than forget any: see
 * {@link MemoryStoreOptions.maxEntries}. Keeps session records (`listSessions`), capped per subject
 * at save when the core asks (`maxSessionsPerUser`: the oldest is revoked, then forgotten).
 *
 * @example
 * ```ts
 * import { createAuth, memoryStore } from 'tokenward'
 *
 * const auth = createAuth({
 *   secret: process.env.JWT_SECRET!,
 *   store: memoryStore({ maxEntries: 50_000, maxCounters: 10_000 }),
 * })
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): TokenStore & { readonly size: number } {
  const { bounds, now, sweepIntervalMs } = settingsOf(options)
  // Nothing at construction: a Workers runtime refuses a timer at a module's top level, where a
  // store (and createAuth, which makes one by default) is created. The sweep starts on first use
  // (every method reads the clock through `clock`), and never after close().
  let timer: ReturnType<typeof setInterval> | undefined
  let closed = false
  const clock = () => {
    if (timer === undefined && !closed) {
      timer = setInterval(sweep, sweepIntervalMs)
      unref(timer)
    }
    return now()
  }
  const security = securityEntries(bounds.security)
  const sessions = memorySessions(clock, bounds.sessions, security)
  const counters = memoryCounters(bounds.counters)
  const proofs: ProofIds = new ProofIds(bounds.proofs, () =>
    fullError(
      'DPoP proof id',
      proofs.size,
      `maxProofs = ${bounds.proofs}; no key holds over ${proofs.share}`,
      'forget another key’s (it could be replayed)',
    ),
  )
  function sweep() {
    const t = now()
    for (const group of [security, counters.group, proofs, sessions]) group.sweep(t)
  }

  const store: TokenStore & { readonly size: number } = {
    get size() {
      return security.size() + counters.group.size()
    },
    ...securityMethods(clock, security),
    async consume(id, expiresAt) {
      const t = clock()
      // An already-expired id is still "used once": remember it briefly so a replay in the same
      // instant is refused too.
      const exp = Math.max(expiresAt * 1000, t + 1000)
      // Proof ids (RFC 9449) come from clients not yet authenticated: a flood of them fills their
      // own bound (shared fairly between keys: ./proofs.ts), never the room of a revocation or a
      // spent refresh token.
      if (id.startsWith(DPOP_PROOF_PREFIX)) return proofs.consume(id, exp, t)
      if (liveEntry(security.spent, id, t) !== undefined) return false
      security.room(t)
      security.spent.set(id, exp)
      return true
    },
    async hit(key, windowSeconds, cost = 1) {
      checkHit(windowSeconds, cost)
      return counters.hit(key, windowSeconds, cost, clock())
    },
    ...memoryRefresh(clock, security, sessions),
    saveSession: sessions.saveSession,
    touchSession: sessions.touchSession,
    listSessions: sessions.listSessions,
    deleteSession: sessions.deleteSession,
    getSession: sessions.getSession,
    deleteSessions: sessions.deleteSessions,
    async close() {
      closed = true
      if (timer !== undefined) clearInterval(timer)
    },
  }
  inMemory.add(store)
  return store
}

/** Revocations and cutoffs: `revoke`, `isRevoked`, `setCutoff`, `getCutoff` over the security group. */
function securityMethods(clock: () => number, security: ReturnType<typeof securityEntries>) {
  const { cutoffs } = security
  return {
    async revoke(id: string, expiresAt: number) {
      const t = clock()
      const exp = expiresAt * 1000
      if (Math.max(exp, liveEntry(security.revoked, id, t) ?? 0) <= t) return
      if (!security.revoked.has(id)) security.room(t)
      security.putRevocation(id, exp, t)
    },
    // Synchronous on purpose (TokenStore allows it): it runs on every authenticated request.
    isRevoked(ids: readonly string[], cutoff?: CutoffCheck): boolean {
      return security.isRevoked(ids, cutoff, clock())
    },
    async setCutoff(subject: string, at: number, expiresAt: number) {
      const t = clock()
      const prev = liveEntry(cutoffs, subject, t)
      if (prev === undefined) security.room(t)
      cutoffs.set(subject, {
        exp: Math.max(expiresAt * 1000, prev?.exp ?? 0),
        at: Math.max(at, prev?.at ?? Number.NEGATIVE_INFINITY),
      })
    },
    async getCutoff(subject: string) {
      return liveEntry(cutoffs, subject, clock())?.at ?? null
    },
  }
}
