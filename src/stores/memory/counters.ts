/**
 * The rate-limit counters of `memoryStore()` (`hit`): a bound of their own (`maxCounters`), because
 * clients choose their keys (usernames, addresses) — a flood of them cannot take the room of a
 * revocation. A counter is never reset to make room: a full bound refuses a new counter (503).
 */
import { boundedGroup, fullError, type Group, liveEntry } from './bounds.js'

/** The counters of one memory store. */
export interface MemoryCounters {
  readonly group: Group
  /** `TokenStore.hit` at `t` (epoch ms). */
  hit(key: string, windowSeconds: number, cost: number, t: number): number
}

/**
 * At most `max` counters, each living for its window.
 *
 * @example
 * ```ts
 * const counters = memoryCounters(20_000)
 * counters.hit('login:ada', 900, 1, Date.now()) // 1
 * ```
 */
export function memoryCounters(max: number): MemoryCounters {
  const counters = new Map<string, { exp: number; count: number }>()
  const group = boundedGroup([counters], max, () =>
    fullError('rate-limit counter', counters.size, `maxCounters = ${max}`, 'reset another key’s limit'),
  )
  return {
    group,
    hit(key, windowSeconds, cost, t) {
      const entry = liveEntry(counters, key, t)
      if (entry === undefined) {
        // A read or a give-back creates nothing: it must not start a window, nor take room.
        if (cost <= 0) return 0
        group.room(t)
        counters.set(key, { exp: t + windowSeconds * 1000, count: cost })
        return cost
      }
      entry.count = Math.max(0, entry.count + cost)
      return entry.count
    },
  }
}
