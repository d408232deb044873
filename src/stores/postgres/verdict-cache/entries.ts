/**
 * The answers the verdict cache keeps (./index.ts): per token id "revoked until …" or "not
 * revoked", per subject "cutoff at … until …" or "none", each with the time it may be used until —
 * and the epoch guard that keeps a read which raced a change from caching the old answer.
 */
import type { PostgresCacheStats } from '../types.js'

/** A known answer: present (revoked, or a cutoff at `at`) or absent, usable until `until` (epoch ms). */
interface Entry {
  present: boolean
  at: number
  until: number
}

/** What one revocation check read: the present revocations (id → expiry, epoch s) and the cutoff. */
export interface CheckRows {
  revoked: ReadonlyMap<string, number>
  cutoff: { at: number; expiresAt: number } | null
}

/** One read in flight: its keys and the epoch it was sent at. */
export interface CacheRead {
  ids: readonly string[]
  subject: string | undefined
  start: number
}

/** The kept answers; the connection (./connection.ts) says whether they may be served. */
export interface Entries {
  answer(
    ids: readonly string[],
    subject: string | undefined,
    issuedAt: number | undefined,
  ): boolean | undefined
  begin(ids: readonly string[], subject: string | undefined): CacheRead
  end(read: CacheRead, rows: CheckRows): void
  failed(read: CacheRead): void
  /** An announced (or own) change of `key`: `r:<id>` or `c:<subject>`. */
  invalidate(key: string): void
  /** Drops everything; reads in flight cache nothing. */
  flush(): void
  counts(): Omit<PostgresCacheStats, 'enabled' | 'live' | 'invalidations'>
}

/** Settings of the kept answers. */
export interface EntrySettings {
  maxEntries: number
  maxAgeMs: number
  /** Epoch ms. */
  now: () => number
  /** True while the LISTEN connection is proven: only then is anything served or kept. */
  live: () => boolean
}

const keysOf = (read: { ids: readonly string[]; subject: string | undefined }) => {
  const keys = read.ids.map((id) => `r:${id}`)
  if (read.subject !== undefined) keys.push(`c:${read.subject}`)
  return keys
}

/** Looks `key` up; `undefined` when unknown or too old (and then forgotten). */
function lookup(map: Map<string, Entry>, key: string, t: number): Entry | undefined {
  const entry = map.get(key)
  if (entry === undefined) return undefined
  if (entry.until <= t) {
    map.delete(key)
    return undefined
  }
  return entry
}

/** Keeps `entry` under `key`; when full, the oldest inserted leaves first. */
function insert(map: Map<string, Entry>, key: string, entry: Entry, maxEntries: number) {
  map.delete(key)
  if (map.size >= maxEntries) {
    const oldest = map.keys().next()
    if (!oldest.done) map.delete(oldest.value)
  }
  map.set(key, entry)
}

/**
 * The verdict from the kept answers alone, or `undefined` when one of them is unknown. Every key is
 * looked at, so a hit never depends on which present key came first.
 */
function answerFrom(
  revoked: Map<string, Entry>,
  cutoffs: Map<string, Entry>,
  ids: readonly string[],
  subject: string | undefined,
  issuedAt: number | undefined,
  t: number,
): boolean | undefined {
  let isRevoked = false
  for (let i = 0; i < ids.length; i++) {
    const entry = lookup(revoked, ids[i]!, t)
    if (entry === undefined) return undefined
    if (entry.present) isRevoked = true
  }
  if (subject !== undefined) {
    const entry = lookup(cutoffs, subject, t)
    if (entry === undefined) return undefined
    if (entry.present && issuedAt !== undefined && issuedAt <= entry.at) isRevoked = true
  }
  return isRevoked
}

/** The kept answers of one cache. */
export function verdictEntries({ maxEntries, maxAgeMs, now, live }: EntrySettings): Entries {
  const revoked = new Map<string, Entry>()
  const cutoffs = new Map<string, Entry>()
  // Epochs: every announcement and every flush moves `epoch`; a read remembers the epoch it was
  // sent at and may insert a key only if neither a flush (`flushedAt`) nor an announcement of
  // that key (`touched`) came later. Keys in flight are `r:<id>` and `c:<subject>`, as announced.
  let epoch = 0
  let flushedAt = 0
  const inflight = new Map<string, number>()
  const touched = new Map<string, number>()
  const counts = { hits: 0, misses: 0, flushes: 0 }

  const settle = (key: string) => {
    const n = (inflight.get(key) ?? 1) - 1
    if (n > 0) inflight.set(key, n)
    else {
      inflight.delete(key)
      touched.delete(key)
    }
  }
  const mayInsert = (key: string, start: number) =>
    live() && start >= flushedAt && (touched.get(key) ?? -1) <= start
  /** Keeps what a read found for `key`, if the guard allows; present answers never outlive their row. */
  const keep = (map: Map<string, Entry>, key: string, name: string, start: number, found: Entry | null) => {
    if (mayInsert(key, start)) {
      const fresh = now() + maxAgeMs
      const entry =
        found === null
          ? { present: false, at: 0, until: fresh }
          : { ...found, until: Math.min(fresh, found.until) }
      insert(map, name, entry, maxEntries)
    }
    settle(key)
  }

  return {
    answer(ids, subject, issuedAt) {
      if (!live()) return undefined
      const verdict = answerFrom(revoked, cutoffs, ids, subject, issuedAt, now())
      if (verdict !== undefined) counts.hits++
      return verdict
    },
    begin(ids, subject) {
      counts.misses++
      const read = { ids, subject, start: epoch }
      for (const key of keysOf(read)) inflight.set(key, (inflight.get(key) ?? 0) + 1)
      return read
    },
    end(read, rows) {
      for (const id of read.ids) {
        const expiresAt = rows.revoked.get(id)
        const found = expiresAt === undefined ? null : { present: true, at: 0, until: expiresAt * 1000 }
        keep(revoked, `r:${id}`, id, read.start, found)
      }
      if (read.subject !== undefined) {
        const cut = rows.cutoff
        const found = cut === null ? null : { present: true, at: cut.at, until: cut.expiresAt * 1000 }
        keep(cutoffs, `c:${read.subject}`, read.subject, read.start, found)
      }
    },
    failed(read) {
      for (const key of keysOf(read)) settle(key)
    },
    invalidate(key) {
      epoch++
      if (key.startsWith('r:')) revoked.delete(key.slice(2))
      else cutoffs.delete(key.slice(2))
      if (inflight.has(key)) touched.set(key, epoch)
    },
    flush() {
      epoch++
      flushedAt = epoch
      if (revoked.size + cutoffs.size > 0 || live()) counts.flushes++
      revoked.clear()
      cutoffs.clear()
    },
    counts: () => ({ entries: revoked.size + cutoffs.size, ...counts }),
  }
}
