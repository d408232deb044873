/**
 * The security group of `memoryStore()`: revocations, spent-token marks, subject cutoffs and the
 * spend state of each refresh-token family — everything whose loss would make a revoked or spent
 * token valid again. One bound (`maxEntries − maxCounters`), never shared with counters, proof ids
 * or session records, and never made room in by forgetting a live entry.
 */
import type { CutoffCheck } from '../types.js'
import { boundedGroup, type Expiring, type Group, liveEntry } from './bounds.js'

/** The spend state of one refresh-token family (see `TokenStore.spendRefresh`). */
export interface FamilyState {
  /** Keep until (epoch ms). */
  exp: number
  /** The highest generation spent so far. */
  generation: number
  /** When that generation was first presented (epoch ms, by the caller's clock). */
  first: number
  /** Retries of that generation accepted since. */
  retries: number
}

/** The security entries of one memory store. */
export interface SecurityEntries extends Group {
  /** Token and family id → expiry (epoch ms). */
  readonly revoked: Map<string, number>
  /** Spent token id → expiry (epoch ms). */
  readonly spent: Map<string, number>
  /** Subject → cutoff. */
  readonly cutoffs: Map<string, { exp: number; at: number }>
  /** Family id → spend state: one per session, however often it rotates. */
  readonly families: Map<string, FamilyState>
  /** `TokenStore.isRevoked` at `t`. */
  isRevoked(ids: readonly string[], cutoff: CutoffCheck | undefined, t: number): boolean
  /** Revokes `id` until `exp` (epoch ms), keeping a later expiry; room must have been made. */
  putRevocation(id: string, exp: number, t: number): void
  /** How many of `ids` a revocation would add (the others are held already). */
  newRevocations(ids: readonly string[], t: number): number
}

/**
 * The security group, at most `max` entries in all.
 *
 * @example
 * ```ts
 * const security = securityEntries(20_000)
 * security.room(Date.now())
 * security.putRevocation('jti-1', Date.now() + 900_000, Date.now())
 * ```
 */
export function securityEntries(max: number): SecurityEntries {
  // One map per kind, keyed by the id (or subject) itself: a revocation check is two or three
  // lookups with no key built. Token and family ids are 128-bit random, so they need no subject
  // to be told apart; the subject argument only matters to stores that shard by it.
  const revoked = new Map<string, number>()
  const spent = new Map<string, number>()
  const cutoffs = new Map<string, { exp: number; at: number }>()
  const families = new Map<string, FamilyState>()
  const maps = [revoked, spent, cutoffs, families] as Map<string, Expiring>[]
  const group = boundedGroup(maps, max, () => {
    const held = revoked.size + spent.size + cutoffs.size + families.size
    return new Error(
      `tokenward: memoryStore is full: ${held} live revocations, spent-token marks, subject cutoffs ` +
        `and refresh-family states (the bound is maxEntries − maxCounters = ${max}). It refuses the ` +
        'write rather than forget one early (a revoked token would become valid again); raise ' +
        'maxEntries, or use a shared store such as tokenward/redis.',
    )
  })
  return {
    ...group,
    revoked,
    spent,
    cutoffs,
    families,
    isRevoked(ids, cutoff, t) {
      for (let i = 0; i < ids.length; i++) if (liveEntry(revoked, ids[i]!, t) !== undefined) return true
      if (cutoff !== undefined && cutoffs.size > 0) {
        const entry = liveEntry(cutoffs, cutoff.subject, t)
        if (entry !== undefined && cutoff.issuedAt <= entry.at) return true
      }
      return false
    },
    putRevocation(id, exp, t) {
      revoked.set(id, Math.max(exp, liveEntry(revoked, id, t) ?? 0))
    },
    newRevocations(ids, t) {
      let n = 0
      for (const id of new Set(ids)) if (liveEntry(revoked, id, t) === undefined) n++
      return n
    },
  }
}
