/** The client shapes and options of tokenward/postgres (re-exported by ./index.ts). */
import type { SessionStore, TokenStore } from '../types.js'

/**
 * The `pg` (node-postgres) pool shape tokenward uses: `new Pool()` from `pg` 8. The store takes a
 * connection per statement (`connect()`, then `release()`), and opens one connection of its own
 * with the pool's settings for its verdict cache (`new pool.Client(pool.options)`).
 */
export interface PgPoolLike {
  connect(): Promise<unknown>
  query(text: string): Promise<unknown>
  /** The pool's settings (pg-pool keeps them here); the verdict cache connects with them. */
  readonly options: object
  /** Connections the pool holds (tells a pool from a single `Client`). */
  readonly totalCount: number
}

/**
 * The postgres.js client shape tokenward uses: the `sql` function that `postgres()` from
 * `postgres` 4 returns. Statements go through `sql.unsafe(text, values, { prepare: true })`, always
 * with `$n` values, never text built from input; the verdict cache listens with `sql.listen`.
 */
export interface PostgresJsLike {
  unsafe(query: string, parameters?: unknown[], options?: { prepare?: boolean }): PromiseLike<unknown>
  listen(
    channel: string,
    onnotify: (payload: string) => void,
    onlisten?: () => void,
  ): PromiseLike<{ unlisten(): Promise<void> }>
}

/** Options of the verdict cache: `postgresStore({ client, cache: { maxEntries, maxAgeMs } })`. */
export interface PostgresCacheOptions {
  /**
   * Most token ids remembered at once, and as many subjects (default 50 000 each). When full, the
   * oldest entry leaves first.
   */
  maxEntries?: number
  /**
   * Longest time an answer is kept, ms (default 30 000; at least 100): the bound on a change that
   * PostgreSQL never announces (a trigger disabled, `session_replication_role = replica`). An
   * announced change reaches the cache in milliseconds; see docs/postgres.md.
   */
  maxAgeMs?: number
}

/** What `store.cacheStats()` reports about the verdict cache (counters since the store was made). */
export interface PostgresCacheStats {
  /** The cache was asked for (`cache` is not `false`). */
  enabled: boolean
  /** The LISTEN connection is registered and proven: hits are being served. */
  live: boolean
  /** Token ids and subjects held now. */
  entries: number
  /** Checks answered from the cache, without a statement. */
  hits: number
  /** Checks that asked PostgreSQL (an id or the subject was not known, or the cache was not serving). */
  misses: number
  /** Notifications of a changed revocation or cutoff. */
  invalidations: number
  /** Times the whole cache was emptied (connection lost, late heartbeat, failed statement, TRUNCATE). */
  flushes: number
}

/**
 * Options of {@link postgresStore}.
 *
 * @example
 * ```ts
 * const store = postgresStore({ client: pool, schema: 'auth', timeoutMs: 500 })
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * A `pg` `Pool` or a postgres.js `sql` client. The store never ends it; it opens one connection of
   * its own for the verdict cache (postgres.js: its `sql.listen` connection), closed by `close()`.
   */
  client: PgPoolLike | PostgresJsLike
  /**
   * The PostgreSQL schema of tokenward's tables and functions (default `tokenward`): lower-case
   * letters, digits and `_`, at most 40 characters. Several apps on one database use one schema each.
   */
  schema?: string
  /**
   * Longest wait for one statement, ms (default 1000): the call then rejects (the request fails
   * with 503) and the statement is cancelled on the server. The store's first call runs the schema
   * check before its statement, each within `timeoutMs` (`await store.ready()` at start-up takes it
   * off the first request). Each call is one atomic statement, so one that commits after all leaves
   * nothing half-done.
   */
  timeoutMs?: number
  /**
   * The verdict cache (default on): answers of the revocation check kept in the process and made
   * exact by LISTEN/NOTIFY — a trigger announces every change of a revocation or cutoff, from any
   * instance, on one connection per store. A known token costs no statement. `false` turns it off.
   * See docs/postgres.md, "The verdict cache".
   */
  cache?: boolean | PostgresCacheOptions
  /**
   * How often expired rows are deleted, ms (default 60 000; `0`: never — run `SELECT
   * tokenward.sweep()` from a scheduler such as pg_cron instead). Each round deletes batches of at
   * most 500 rows per table, so no statement is long or holds many locks. Expired rows are ignored
   * by every query whether or not they are deleted yet.
   */
  sweepIntervalMs?: number
  /** Receives one-time warnings (default `console.warn`): the verdict cache could not be set up. */
  onWarning?: (message: string) => void
  /** Clock in epoch milliseconds, for expiries (tests inject one). Default `Date.now`. */
  now?: () => number
}

/**
 * The store {@link postgresStore} returns: a {@link TokenStore} with session records, its
 * schema migration, and a startup check.
 *
 * @example
 * ```ts
 * const store = postgresStore({ client: pool })
 * await store.migrate() // creates or updates the schema (idempotent, safe from many instances at once)
 * await store.ready() // rejects when the schema is missing or older than this release needs
 * ```
 */
export interface PostgresTokenStore extends TokenStore {
  /** See {@link TokenStore.spendRefresh}: one statement. */
  spendRefresh: NonNullable<TokenStore['spendRefresh']>
  /** See {@link TokenStore.spentGeneration}. */
  spentGeneration: NonNullable<TokenStore['spentGeneration']>
  /** See {@link SessionStore.saveSession}: with `maxPerSubject`, one call of the schema's `save_session`. */
  saveSession: NonNullable<TokenStore['saveSession']>
  /** See {@link SessionStore.touchSession}. */
  touchSession: NonNullable<TokenStore['touchSession']>
  /** See {@link SessionStore.listSessions}. */
  listSessions: NonNullable<TokenStore['listSessions']>
  /** See {@link SessionStore.deleteSession}. */
  deleteSession: NonNullable<TokenStore['deleteSession']>
  /** See {@link SessionStore.getSession}. */
  getSession: NonNullable<TokenStore['getSession']>
  /** See {@link SessionStore.deleteSessions}. */
  deleteSessions: NonNullable<TokenStore['deleteSessions']>
  /** Stops the sweep and closes the verdict cache's connection (never the client it was given). */
  close(): Promise<void>
  /**
   * Creates the schema, or brings it to this release's version: each migration runs once, in a
   * transaction, under an advisory lock (many instances may call it at once). The same SQL is in
   * docs/postgres.md for teams that run their own migrations.
   */
  migrate(): Promise<void>
  /** Checks now that the schema is there and current, instead of on the first call. */
  ready(): Promise<void>
  /** Deletes expired rows now, in batches; resolves to how many were deleted. */
  sweep(): Promise<number>
  /** What the verdict cache is doing: live or not, entries, hits, misses, invalidations, flushes. */
  cacheStats(): PostgresCacheStats
}
