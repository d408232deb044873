/**
 * The bounded groups of `memoryStore()`: each kind of entry has a bound of its own that never
 * borrows from another's (revocations and spent marks, rate-limit counters, DPoP proof ids, session
 * records), so a flood of one kind can never take the room of another. A full group refuses the new
 * entry (the request fails closed, 503) rather than forget a live one.
 */

/** An entry's value: its expiry (epoch ms) itself, or an object that carries it. */
export type Expiring = number | { exp: number }

export const expiryOf = (value: Expiring): number => (typeof value === 'number' ? value : value.exp)

/** The entry under `key` unless it has expired at `t` (then it is dropped). */
export function liveEntry<V extends Expiring>(map: Map<string, V>, key: string, t: number): V | undefined {
  const value = map.get(key)
  if (value === undefined) return undefined
  if (expiryOf(value) <= t) {
    map.delete(key)
    return undefined
  }
  return value
}

/** Drops the expired entries of `maps`; returns the soonest expiry among those left. */
export function sweepMaps(maps: readonly Map<string, Expiring>[], t: number): number {
  let soonest = Number.POSITIVE_INFINITY
  for (const map of maps)
    for (const [key, value] of map) {
      const exp = expiryOf(value)
      if (exp <= t) map.delete(key)
      else if (exp < soonest) soonest = exp
    }
  return soonest
}

/** One bounded group of maps. */
export interface Group {
  /** Entries held now (live or not yet swept). */
  size(): number
  /** Makes room for `count` (default 1) new entries at `t`, or throws the group's "full" error. */
  room(t: number, count?: number): void
  /** Drops the expired entries. */
  sweep(t: number): void
}

/**
 * A group of `maps` holding at most `max` entries in all. A full group is swept once; while it
 * stays full of live entries nothing in it can expire before the soonest expiry the sweep saw, so
 * until then a refusal costs no sweep (a flood of writes to a full store stays cheap).
 *
 * @example
 * ```ts
 * const proofs = new Map<string, number>()
 * const group = boundedGroup([proofs], 20_000, () => new Error('full'))
 * group.room(Date.now())
 * proofs.set('dpop:…', Date.now() + 120_000)
 * ```
 */
export function boundedGroup(maps: readonly Map<string, Expiring>[], max: number, full: () => Error): Group {
  const size = () => {
    let n = 0
    for (const map of maps) n += map.size
    return n
  }
  let nextExpiry = 0
  return {
    size,
    room(t, count = 1) {
      if (size() + count > max) {
        if (t >= nextExpiry) nextExpiry = sweepMaps(maps, t)
        if (size() + count > max) throw full()
      }
      // Room: the entry about to be added may expire sooner than anything the last sweep saw.
      nextExpiry = 0
    },
    sweep(t) {
      sweepMaps(maps, t)
    },
  }
}

/** The error of a full bound: what is full, and why the store refuses rather than make room. */
export function fullError(kind: string, held: number, bound: string, instead: string): Error {
  return new Error(
    `tokenward: memoryStore has no room for another ${kind}: ${held} live (${bound}). It refuses ` +
      `rather than ${instead}; raise the bound, or use a shared store such as tokenward/redis.`,
  )
}
