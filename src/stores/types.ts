/**
 * The subject cutoff part of a revocation check: tokens of `subject` issued at or before the
 * subject's cutoff (set by `revokeSubject`) count as revoked.
 */
export interface CutoffCheck {
  /** The token's `sub`. */
  subject: string
  /** The token's `iat`, epoch seconds (may carry milliseconds as a fraction). */
  issuedAt: number
}

/**
 * One session (one token family: a login and every refresh after it) as a store keeps it. Times
 * are epoch seconds and may carry milliseconds as a fraction.
 */
export interface SessionRecord {
  /** The family id (`fid`) of the session's tokens: 128 random bits, base64url. */
  id: string
  /** The user (`sub`). */
  subject: string
  /** The login. */
  createdAt: number
  /** The last token issue of the session: the login, then each refresh. */
  lastUsedAt: number
  /** When no token of the session is accepted any more: the record must be gone by then. */
  expiresAt: number
  /** The `User-Agent` of the login (at most 512 characters), or `null`. */
  userAgent: string | null
  /** The client address of the login, IPv6 reduced to its /64, or `null`. */
  address: string | null
}

/**
 * The optional part of a {@link TokenStore} that keeps session records (`auth.listSessions`,
 * `revokeSession`, `revokeOtherSessions`, `GET /auth/sessions`). A store implements all four
 * methods or none; without them everything else works and only the session calls refuse.
 *
 * Semantics (checked by the "sessions" section of `runTokenStoreConformance`):
 * - a record expires on its own at its `expiresAt`, and `listSessions` never returns an expired one;
 * - records are kept per subject: no call with one subject sees or changes another's record (the
 *   Redis store keeps a subject's records in one hash slot);
 * - `touchSession` never creates a record, and never moves `lastUsedAt` or `expiresAt` backwards;
 *   a touch racing a `deleteSession` never brings the record back (one atomic step each);
 * - concurrent `saveSession` calls for one subject are all kept.
 */
export interface SessionStore {
  /** Keep `record` until `record.expiresAt` (replacing a record with the same subject and id). */
  saveSession(record: SessionRecord): Promise<void>
  /**
   * Raise the record's `lastUsedAt` and `expiresAt` (each only if later) and keep it until the new
   * expiry. `false` when the subject has no live record with this id (nothing is created).
   */
  touchSession(subject: string, id: string, lastUsedAt: number, expiresAt: number): Promise<boolean>
  /** The subject's live records, in any order. */
  listSessions(subject: string): Promise<SessionRecord[]>
  /** Forget the record; `false` when the subject had no live record with this id. */
  deleteSession(subject: string, id: string): Promise<boolean>
}

/**
 * Where tokenward keeps what must outlive a request: revoked token and family ids, spent refresh
 * tokens and one-time tokens, subject cutoffs ("log out everywhere") and login rate-limit counters
 * — and, optionally, session records ({@link SessionStore}).
 *
 * Semantics every implementation keeps (checked by `runTokenStoreConformance` from
 * `tokenward/testing`):
 * - every entry expires on its own at the `expiresAt` it was given (epoch seconds);
 * - `consume` is atomic: of two concurrent calls for one id, exactly one gets `true`;
 * - `hit` is an atomic reservation: concurrent calls on one key each get their own count;
 * - `isRevoked` answers for the token ids AND the subject cutoff in ONE round trip;
 * - the optional `subject` argument groups the keys of one user (the Redis store puts them under
 *   one hash tag, so its scripts work on Redis Cluster). Pass the same subject to write and read;
 * - a write the store cannot keep (a failure, a timeout, no room left) rejects: it never resolves
 *   as if it had been kept, and never makes room by forgetting a live entry. The core turns the
 *   rejection into 503 `store_unavailable` (fail closed).
 *
 * @example
 * ```ts
 * import type { TokenStore } from 'tokenward'
 *
 * const store: TokenStore = memoryStore()
 * await store.revoke('jti-1', Math.floor(Date.now() / 1000) + 900)
 * await store.isRevoked(['jti-1']) // true
 * ```
 */
export interface TokenStore {
  /** Remember `id` as revoked until `expiresAt` (epoch seconds). */
  revoke(id: string, expiresAt: number, subject?: string): Promise<void>
  /**
   * True when any of `ids` is revoked, or when `cutoff` is given and the subject's cutoff is at or
   * after `cutoff.issuedAt`. One round trip. An in-process store may answer synchronously (a plain
   * boolean): it runs on every request, and a promise there costs the request path a microtask.
   * So may a shared store that holds an answer it knows to be current — `redisStore`'s verdict
   * cache, which Redis tells of every change (docs/redis.md) — but never one that could be stale.
   */
  isRevoked(ids: readonly string[], cutoff?: CutoffCheck): Promise<boolean> | boolean
  /** Atomic first use: `true` for the first call with `id`, `false` after, until `expiresAt`. */
  consume(id: string, expiresAt: number, subject?: string): Promise<boolean>
  /** Reject every token of `subject` issued at or before `at` (epoch seconds), until `expiresAt`. */
  setCutoff(subject: string, at: number, expiresAt: number): Promise<void>
  /** The subject's cutoff, or `null`. */
  getCutoff(subject: string): Promise<number | null>
  /**
   * Add `cost` (default 1; 0 only reads; negative gives back) to the counter `key`, whose window of `windowSeconds`
   * starts at its first hit, and return the count in the current window.
   *
   * Atomic: the increment and the count it returns are one step, so of 50 concurrent calls with
   * cost 1 on one key each gets a different count, 1 to 50 (callers reserve an attempt this way,
   * then compare the count with a limit). A read (cost 0) creates nothing and starts no window.
   * A negative cost gives back (a successful login returns its reservation): it lowers an existing
   * count, never below 0, keeps its window, and creates nothing.
   */
  hit(key: string, windowSeconds: number, cost?: number): Promise<number>
  /** Release timers or connections the store owns (not a client it was given). Optional. */
  close?(): Promise<void>
  /** Session records (optional, all four or none): see {@link SessionStore}. */
  saveSession?: SessionStore['saveSession']
  /** See {@link SessionStore.touchSession}. */
  touchSession?: SessionStore['touchSession']
  /** See {@link SessionStore.listSessions}. */
  listSessions?: SessionStore['listSessions']
  /** See {@link SessionStore.deleteSession}. */
  deleteSession?: SessionStore['deleteSession']
}

/** The session methods of a {@link TokenStore}, in the order error messages name them. */
export const SESSION_STORE_METHODS = ['saveSession', 'touchSession', 'listSessions', 'deleteSession'] as const
