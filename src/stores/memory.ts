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

interface Entry {
  /** Expiry, epoch ms. */
  exp: number
  /** Cutoff time or counter value. */
  value: number
  /** Eviction rank when full: counters go first, revocations last. */
  rank: 0 | 1 | 2
}

const RANK_COUNTER = 0
const RANK_SPENT = 1
const RANK_REVOKED = 2

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
  const entries = new Map<string, Entry>()

  const keyOf = (kind: string, id: string, subject?: string) => `${kind}\u0000${subject ?? ''}\u0000${id}`

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.exp <= now()) {
      entries.delete(key)
      return undefined
    }
    return entry
  }

  const sweep = () => {
    const t = now()
    for (const [key, entry] of entries) if (entry.exp <= t) entries.delete(key)
  }

  const makeRoom = () => {
    if (entries.size < maxEntries) return
    sweep()
    if (entries.size < maxEntries) return
    // Still full of live entries: drop the lowest-ranked, soonest-expiring tenth in one pass.
    const victims = [...entries].sort((a, b) => a[1].rank - b[1].rank || a[1].exp - b[1].exp)
    const drop = Math.max(1, Math.ceil(maxEntries / 10))
    for (let i = 0; i < drop && i < victims.length; i++) entries.delete(victims[i]![0])
  }

  const put = (key: string, entry: Entry) => {
    if (!entries.has(key)) makeRoom()
    entries.set(key, entry)
  }

  const timer = setInterval(sweep, options.sweepIntervalMs ?? 60_000)
  ;(timer as { unref?: () => void }).unref?.()

  return {
    get size() {
      return entries.size
    },
    async revoke(id, expiresAt, subject) {
      const key = keyOf('r', id, subject)
      const exp = Math.max(expiresAt * 1000, live(key)?.exp ?? 0)
      if (exp > now()) put(key, { exp, value: 1, rank: RANK_REVOKED })
    },
    async isRevoked(ids, cutoff?: CutoffCheck) {
      for (const id of ids) if (live(keyOf('r', id, cutoff?.subject)) !== undefined) return true
      if (cutoff !== undefined) {
        const entry = live(keyOf('c', cutoff.subject))
        if (entry !== undefined && cutoff.issuedAt <= entry.value) return true
      }
      return false
    },
    async consume(id, expiresAt, subject) {
      const key = keyOf('u', id, subject)
      if (live(key) !== undefined) return false
      const exp = expiresAt * 1000
      // An already-expired id is still "used once": remember it briefly so a replay in the same
      // instant is refused too.
      put(key, { exp: Math.max(exp, now() + 1000), value: 1, rank: RANK_SPENT })
      return true
    },
    async setCutoff(subject, at, expiresAt) {
      const key = keyOf('c', subject)
      const prev = live(key)
      put(key, {
        exp: Math.max(expiresAt * 1000, prev?.exp ?? 0),
        value: Math.max(at, prev?.value ?? Number.NEGATIVE_INFINITY),
        rank: RANK_REVOKED,
      })
    },
    async getCutoff(subject) {
      return live(keyOf('c', subject))?.value ?? null
    },
    async hit(key, windowSeconds, cost = 1) {
      const k = keyOf('h', key)
      const entry = live(k)
      if (entry === undefined) {
        if (cost === 0) return 0
        put(k, { exp: now() + windowSeconds * 1000, value: cost, rank: RANK_COUNTER })
        return cost
      }
      entry.value += cost
      return entry.value
    },
    async close() {
      clearInterval(timer)
    },
  }
}
