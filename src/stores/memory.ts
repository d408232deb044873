import type { CutoffCheck, TokenStore } from './types.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most entries held at once (default 100 000). When full, the entries closest to expiry are
   * dropped first — except that a full store refuses to forget revocations early: it evicts
   * rate-limit counters first, then spent-token marks, and only then revocations.
   */
  maxEntries?: number
  /** Clock in epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number
  /** How often expired entries are swept, in ms (default 60 000). The timer never keeps a process alive. */
  sweepIntervalMs?: number
}

/**
 * The in-process {@link TokenStore}: the default when `createAuth` is given no store. Bounded,
 * sweeps expired entries, atomic `consume` (JavaScript runs it in one turn). Right for a single
 * process; several servers need a shared store such as `tokenward/redis`.
 *
 * @example
 * ```ts
 * import { createAuth, memoryStore } from 'tokenward'
 *
 * const auth = createAuth({ secret: process.env.JWT_SECRET!, store: memoryStore({ maxEntries: 50_000 }) })
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): TokenStore & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 100_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('tokenward: maxEntries must be a positive integer')
  const now = options.now ?? Date.now
  // One map per kind, keyed by the id (or subject, or counter key) itself: a revocation check is
  // two or three lookups with no key built. Token ids are 128-bit random, so they need no
  // subject to be told apart; the subject argument only matters to stores that shard by it.
  const revoked = new Map<string, number>() // id → expiry (epoch ms)
  const spent = new Map<string, number>() // id → expiry (epoch ms)
  const cutoffs = new Map<string, { exp: number; at: number }>() // subject → cutoff
  const counters = new Map<string, { exp: number; count: number }>() // key → window counter
  const size = () => revoked.size + spent.size + cutoffs.size + counters.size

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

  const sweep = () => {
    const t = now()
    for (const map of [revoked, spent, cutoffs, counters] as Map<string, number | { exp: number }>[])
      for (const [key, value] of map) if (expiryOf(value) <= t) map.delete(key)
  }

  /** Full of live entries: drop a tenth, counters first, then spent marks, revocations last. */
  const makeRoom = () => {
    if (size() < maxEntries) return
    sweep()
    if (size() < maxEntries) return
    let drop = Math.max(1, Math.ceil(maxEntries / 10))
    const tiers = [[counters], [spent], [revoked, cutoffs]] as Map<string, number | { exp: number }>[][]
    for (const maps of tiers) {
      if (drop === 0) return
      const victims: [Map<string, unknown>, string, number][] = []
      for (const map of maps) for (const [key, value] of map) victims.push([map, key, expiryOf(value)])
      victims.sort((x, y) => x[2] - y[2])
      for (let i = 0; i < victims.length && drop > 0; i++, drop--) {
        const [map, key] = victims[i]!
        map.delete(key)
      }
    }
  }

  const timer = setInterval(sweep, options.sweepIntervalMs ?? 60_000)
  ;(timer as { unref?: () => void }).unref?.()

  return {
    get size() {
      return size()
    },
    async revoke(id, expiresAt) {
      const t = now()
      const exp = Math.max(expiresAt * 1000, live(revoked, id, t) ?? 0)
      if (exp <= t) return
      if (!revoked.has(id)) makeRoom()
      revoked.set(id, exp)
    },
    // Synchronous on purpose (TokenStore allows it): it runs on every authenticated request.
    isRevoked(ids, cutoff?: CutoffCheck): boolean {
      const t = now()
      for (let i = 0; i < ids.length; i++) if (live(revoked, ids[i]!, t) !== undefined) return true
      if (cutoff !== undefined && cutoffs.size > 0) {
        const entry = live(cutoffs, cutoff.subject, t)
        if (entry !== undefined && cutoff.issuedAt <= entry.at) return true
      }
      return false
    },
    async consume(id, expiresAt) {
      const t = now()
      if (live(spent, id, t) !== undefined) return false
      makeRoom()
      // An already-expired id is still "used once": remember it briefly so a replay in the same
      // instant is refused too.
      spent.set(id, Math.max(expiresAt * 1000, t + 1000))
      return true
    },
    async setCutoff(subject, at, expiresAt) {
      const prev = live(cutoffs, subject, now())
      if (prev === undefined) makeRoom()
      cutoffs.set(subject, {
        exp: Math.max(expiresAt * 1000, prev?.exp ?? 0),
        at: Math.max(at, prev?.at ?? Number.NEGATIVE_INFINITY),
      })
    },
    async getCutoff(subject) {
      return live(cutoffs, subject, now())?.at ?? null
    },
    async hit(key, windowSeconds, cost = 1) {
      const t = now()
      const entry = live(counters, key, t)
      if (entry === undefined) {
        if (cost === 0) return 0
        makeRoom()
        counters.set(key, { exp: t + windowSeconds * 1000, count: cost })
        return cost
      }
      entry.count += cost
      return entry.count
    },
    async close() {
      clearInterval(timer)
    },
  }
}
