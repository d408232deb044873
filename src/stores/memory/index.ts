import type { CutoffCheck, TokenStore } from '../types.js'
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
   * revocations, spent-token marks and subject cutoffs.
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

/**
 * The in-process {@link TokenStore}: the default when `createAuth` is given no store. Bounded,
 * sweeps expired entries, atomic `consume` and `hit` (JavaScript runs each in one turn). Right for
 * a single process; several servers need a shared store such as `tokenward/redis`. When full of
 * live entries it refuses new ones (fails closed) rather than forget any: see
 * {@link MemoryStoreOptions.maxEntries}. Keeps session records too (`listSessions`), within
 * {@link MemoryStoreOptions.maxSessions}.
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
  const maxEntries = options.maxEntries ?? 100_000
  if (!Number.isInteger(maxEntries) || maxEntries < 2)
    throw new TypeError('tokenward: maxEntries must be an integer of at least 2')
  const maxCounters = options.maxCounters ?? Math.max(1, Math.floor(maxEntries / 5))
  if (!Number.isInteger(maxCounters) || maxCounters < 1 || maxCounters >= maxEntries)
    throw new TypeError('tokenward: maxCounters must be an integer from 1 to maxEntries − 1')
  const maxSecurity = maxEntries - maxCounters
  const maxSessions = options.maxSessions ?? Math.max(1, Math.floor(maxEntries / 5))
  if (!Number.isInteger(maxSessions) || maxSessions < 1)
    throw new TypeError('tokenward: maxSessions must be an integer of at least 1')
  const now = options.now ?? Date.now
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000
  // Nothing at construction: a Workers runtime refuses a timer at a module's top level, where a
  // store (and createAuth, which makes one by default) is created. The sweep starts on first use
  // (every method reads the clock through `clock`), and never after close().
  let timer: ReturnType<typeof setInterval> | undefined
  let closed = false
  const clock = () => {
    if (timer === undefined && !closed) {
      timer = setInterval(sweep, sweepIntervalMs)
      ;(timer as { unref?: () => void }).unref?.()
    }
    return now()
  }
  const sessions = memorySessions(clock, maxSessions)
  // One map per kind, keyed by the id (or subject, or counter key) itself: a revocation check is
  // two or three lookups with no key built. Token ids are 128-bit random, so they need no
  // subject to be told apart; the subject argument only matters to stores that shard by it.
  const revoked = new Map<string, number>() // id → expiry (epoch ms)
  const spent = new Map<string, number>() // id → expiry (epoch ms)
  const cutoffs = new Map<string, { exp: number; at: number }>() // subject → cutoff
  const counters = new Map<string, { exp: number; count: number }>() // key → window counter
  const securityMaps = [revoked, spent, cutoffs] as Map<string, number | { exp: number }>[]
  const counterMaps = [counters] as Map<string, number | { exp: number }>[]
  const securitySize = () => revoked.size + spent.size + cutoffs.size
  const size = () => securitySize() + counters.size

  const expiryOf = (value: number | { exp: number }) => (typeof value === 'number' ? value : value.exp)

  /** The entry under `key` unless it has expired (then it is dropped). */
  const live = <V extends number | { exp: number }>(
    map: Map<string, V>,
    key: string,
    t: number,
  ): V | undefined => {
    const value = map.get(key)
    if (value === undefined) return undefined
    if (expiryOf(value) <= t) {
      map.delete(key)
      return undefined
    }
    return value
  }

  /** Drops the expired entries of `maps`; returns the soonest expiry among those left. */
  const sweepMaps = (maps: Map<string, number | { exp: number }>[], t: number) => {
    let soonest = Number.POSITIVE_INFINITY
    for (const map of maps)
      for (const [key, value] of map) {
        const exp = expiryOf(value)
        if (exp <= t) map.delete(key)
        else if (exp < soonest) soonest = exp
      }
    return soonest
  }
  const sweep = () => {
    const t = now()
    sweepMaps(securityMaps, t)
    sweepMaps(counterMaps, t)
    sessions.sweep(t)
  }

  /**
   * Makes room for one new entry in a bounded group, or throws. A full group is swept once; while
   * it stays full of live entries nothing in it can expire before `nextExpiry`, so until then a
   * refusal costs no sweep (a flood of writes to a full store stays cheap).
   */
  const room = (
    maps: Map<string, number | { exp: number }>[],
    used: () => number,
    max: number,
    full: () => Error,
  ) => {
    let nextExpiry = 0
    return (t: number) => {
      if (used() >= max) {
        if (t >= nextExpiry) nextExpiry = sweepMaps(maps, t)
        if (used() >= max) throw full()
      }
      // Room: the entry about to be added may expire sooner than anything the last sweep saw.
      nextExpiry = 0
    }
  }
  const securityRoom = room(
    securityMaps,
    securitySize,
    maxSecurity,
    () =>
      new Error(
        `tokenward: memoryStore is full: ${securitySize()} live revocations, spent-token marks and ` +
          `subject cutoffs (the bound is maxEntries − maxCounters = ${maxSecurity}). It refuses the ` +
          'write rather than forget one early (a revoked token would become valid again); raise ' +
          'maxEntries, or use a shared store such as tokenward/redis.',
      ),
  )
  const counterRoom = room(
    counterMaps,
    () => counters.size,
    maxCounters,
    () =>
      new Error(
        `tokenward: memoryStore has no room for another rate-limit counter: ${counters.size} live ` +
          `counters (maxCounters = ${maxCounters}). It refuses rather than reset another key's ` +
          'limit; raise maxCounters, or shorten the rate-limit window.',
      ),
  )

  return {
    get size() {
      return size()
    },
    async revoke(id, expiresAt) {
      const t = clock()
      const exp = Math.max(expiresAt * 1000, live(revoked, id, t) ?? 0)
      if (exp <= t) return
      if (!revoked.has(id)) securityRoom(t)
      revoked.set(id, exp)
    },
    // Synchronous on purpose (TokenStore allows it): it runs on every authenticated request.
    isRevoked(ids, cutoff?: CutoffCheck): boolean {
      const t = clock()
      for (let i = 0; i < ids.length; i++) if (live(revoked, ids[i]!, t) !== undefined) return true
      if (cutoff !== undefined && cutoffs.size > 0) {
        const entry = live(cutoffs, cutoff.subject, t)
        if (entry !== undefined && cutoff.issuedAt <= entry.at) return true
      }
      return false
    },
    async consume(id, expiresAt) {
      const t = clock()
      if (live(spent, id, t) !== undefined) return false
      securityRoom(t)
      // An already-expired id is still "used once": remember it briefly so a replay in the same
      // instant is refused too.
      spent.set(id, Math.max(expiresAt * 1000, t + 1000))
      return true
    },
    async setCutoff(subject, at, expiresAt) {
      const t = clock()
      const prev = live(cutoffs, subject, t)
      if (prev === undefined) securityRoom(t)
      cutoffs.set(subject, {
        exp: Math.max(expiresAt * 1000, prev?.exp ?? 0),
        at: Math.max(at, prev?.at ?? Number.NEGATIVE_INFINITY),
      })
    },
    async getCutoff(subject) {
      return live(cutoffs, subject, clock())?.at ?? null
    },
    async hit(key, windowSeconds, cost = 1) {
      const t = clock()
      const entry = live(counters, key, t)
      if (entry === undefined) {
        // A read or a give-back creates nothing: it must not start a window, nor take room.
        if (cost <= 0) return 0
        counterRoom(t)
        counters.set(key, { exp: t + windowSeconds * 1000, count: cost })
        return cost
      }
      entry.count = Math.max(0, entry.count + cost)
      return entry.count
    },
    saveSession: sessions.saveSession,
    touchSession: sessions.touchSession,
    listSessions: sessions.listSessions,
    deleteSession: sessions.deleteSession,
    async close() {
      closed = true
      if (timer !== undefined) clearInterval(timer)
    },
  }
}
