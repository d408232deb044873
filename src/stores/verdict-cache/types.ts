/**
 * The shapes around the verdict cache (./cache.ts): what a store hands it (an invalidation source),
 * what it keeps (answers), and what it reports.
 */

/** The table a key belongs to: revocation marks (token and family ids) or subject cutoffs. */
export type Kind = 'revocation' | 'cutoff'

/**
 * What the cache knows of one key until `until` (epoch ms): present (revoked, or a cutoff at `at`,
 * epoch s) or absent.
 */
export interface Answer {
  readonly present: boolean
  readonly at: number
  readonly until: number
}

/** A present value as a read found it: a cutoff's instant (epoch s; 0 for a revocation) and its key's expiry (epoch ms). */
export interface Found {
  at: number
  expiresAt: number
}

/**
 * What `store.cacheStats()` reports: the shape of `RedisCacheStats` and `PostgresCacheStats`,
 * each documented for its store (redis/types.ts, postgres/types.ts).
 */
export type VerdictCacheStats = { enabled: boolean; live: boolean } & Record<
  'entries' | 'hits' | 'misses' | 'invalidations' | 'flushes',
  number
>

/** What an invalidation source reports, as it happens. */
export interface ChangeEvents {
  /** `key` changed (written, deleted, expired, evicted); `kind` where the source knows its table. */
  changed(key: string, kind?: Kind): void
  /** Anything may have changed (`FLUSHALL`, `TRUNCATE`, a message that cannot be read). */
  changedAll(): void
  /** The connection is gone (or was replaced): announcements may have been lost. */
  closed(): void
}

/** One open connection of an invalidation source. */
export interface Channel {
  /**
   * Proves the path end to end before anything is served: a change made now must come back as an
   * announcement. Rejects when it does not within the store's timeout.
   */
  prove(): Promise<void>
  /** A round trip that answers only after every announcement sent before it (the cache bounds its wait). */
  heartbeat(): PromiseLike<unknown>
  close(): void
}

/** Where announcements come from: Redis `CLIENT TRACKING … BCAST`, PostgreSQL `LISTEN`. */
export interface InvalidationSource {
  /** Names the connection in messages: `the Redis invalidation connection`. */
  readonly name: string
  /** Opens a connection that reports every change through `events`; rejects when any step fails. */
  open(events: ChangeEvents): Promise<Channel>
  /** `false` once the application closed its client: the cache stops, and opens nothing more. */
  usable(): boolean
  /**
   * The one-time warning for a connection that could not be set up (`connected`: it opened, then a
   * step failed), or `undefined` for a failure not worth one (the network: retried quietly).
   */
  setupWarning(err: unknown, connected: boolean): string | undefined
}
