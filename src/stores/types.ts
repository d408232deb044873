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

/** A page of a subject's session records: newest login first (`createdAt` descending, then `id` ascending). */
export interface SessionPage {
  /** At most this many records (1 to 1000). */
  limit: number
  /**
   * Continue after this record (the last one of the previous page) in that order: only records
   * strictly after it are returned, whether or not it still exists.
   */
  after?: { createdAt: number; id: string } | undefined
}

/** Options of {@link SessionStore.saveSession}. */
export interface SaveSessionOptions {
  /**
   * Keep at most this many live records for the subject (`maxSessionsPerUser`). When the new record
   * would make one too many, the store ends the OLDEST live ones (smallest `createdAt`, then
   * smallest `id`; never the new record) in the same atomic step as the save: for each it writes
   * the family's revocation exactly as `revoke(id, record.expiresAt, subject)` would — a
   * revocation first, never just a forgotten record — and then removes the record.
   */
  maxPerSubject?: number
}

/**
 * The optional part of a {@link TokenStore} that keeps session records (`auth.listSessions`,
 * `revokeSession`, `revokeOtherSessions`, `GET /auth/sessions`). A store implements the four
 * required methods or none; without them everything else works and only the session calls refuse.
 * `getSession` and `deleteSessions` are optional even then (the core falls back to a listing).
 *
 * Semantics (checked by the "sessions" section of `runTokenStoreConformance`):
 * - a record expires on its own at its `expiresAt`, and no call returns an expired one;
 * - records are kept per subject: no call with one subject sees or changes another's record (the
 *   Redis store keeps a subject's records in one hash slot);
 * - `touchSession` never creates a record, and never moves `lastUsedAt` or `expiresAt` backwards;
 *   a touch racing a `deleteSession` never brings the record back (one atomic step each);
 * - concurrent `saveSession` calls for one subject are all kept — within `maxPerSubject` when it
 *   is given: 50 concurrent saves with `maxPerSubject: 10` leave exactly 10 live records and 40
 *   revoked families, whatever the interleaving;
 * - ownership checks and deletes cost O(log n) in the subject's record count; a page costs
 *   O(log n + limit). Nothing on a hot path grows with the number of a subject's records.
 */
export interface SessionStore {
  /**
   * Keep `record` until `record.expiresAt` (replacing a record with the same subject and id).
   * With `options.maxPerSubject`, ends the oldest records past the cap in the same atomic step
   * (see {@link SaveSessionOptions}) and resolves to the ids it ended (`[]` when none). A store
   * that resolves to `undefined` did not apply the cap: the core then ends the oldest sessions
   * itself, one call at a time (not atomic: concurrent logins may pass the cap by a few).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: stores written before the cap resolve to void
  saveSession(record: SessionRecord, options?: SaveSessionOptions): Promise<string[] | undefined | void>
  /**
   * Raise the record's `lastUsedAt` and `expiresAt` (each only if later) and keep it until the new
   * expiry. `false` when the subject has no live record with this id (nothing is created).
   */
  touchSession(subject: string, id: string, lastUsedAt: number, expiresAt: number): Promise<boolean>
  /**
   * The subject's live records. Without `page`: all of them, in any order. With `page`: at most
   * `page.limit`, newest login first, after `page.after` (see {@link SessionPage}).
   */
  listSessions(subject: string, page?: SessionPage): Promise<SessionRecord[]>
  /** Forget the record; `false` when the subject had no live record with this id. */
  deleteSession(subject: string, id: string): Promise<boolean>
  /** The subject's live record `id`, or `null`: O(log n), the ownership check of `revokeSession`. Optional. */
  getSession?(subject: string, id: string): Promise<SessionRecord | null>
  /** Forget every record of the subject (after `revokeSubject` cut them all off). Optional. */
  deleteSessions?(subject: string): Promise<void>
}

/**
 * One presentation of a refresh token, as the store decides it (see {@link TokenStore.spendRefresh}).
 * Every refresh token of a session (a token family) has a place in one chain: the login's is
 * generation 0, and a rotation of generation `n` mints generation `n + 1` — the SAME generation
 * however often it is retried, so a retry never starts a second chain (session invariants S1, S2).
 */
export interface RefreshSpend {
  /** The family (session) id, `fid`. */
  family: string
  /** The presented token's generation in its family's chain. */
  generation: number
  /** The token's `sub`: the subject cutoff is checked, and the keys are grouped by it. */
  subject: string
  /** Revocation ids to check, exactly as {@link TokenStore.isRevoked}'s (the token's `jti` and family). */
  ids: readonly string[]
  /** The presented token's issue instant (epoch s, ms as a fraction), for the subject cutoff. */
  issuedAt: number
  /** Keep the family's spend state at least until then (epoch s): the successor's `exp`. */
  expiresAt: number
  /**
   * Now, epoch ms, by the caller's clock (`createAuth({ now })`): the grace window is measured with
   * it, like every other time tokenward gives the store, so instances and stores agree.
   */
  now: number
  /**
   * Seconds around the FIRST presentation of a generation during which presenting it again is a
   * retry (0: never). Either side: a presentation whose `now` is before the first one's (another
   * instance's clock, a little behind) is a retry only within `graceSeconds` of it too.
   */
  graceSeconds: number
  /** How many retries a generation allows within its grace window. */
  graceRetries: number
  /**
   * Move the family's session record on (as {@link SessionStore.touchSession} with these values),
   * in the same step, when the verdict is `rotate` or `retry`. Ignored by stores without records.
   */
  touch?: { lastUsedAt: number; expiresAt: number } | undefined
}

/**
 * - `rotate`: the first presentation of this generation — it is now spent; the caller mints the next.
 * - `retry`: this generation was spent by the latest rotation less than `graceSeconds` ago and has
 *   retries left — the caller re-mints the same next generation.
 * - `reused`: a spent generation came back otherwise (an older one, after the window, past the
 *   retries) — the caller revokes the family.
 * - `revoked`: one of `ids` is revoked or the subject's cutoff is at or after `issuedAt`; nothing
 *   was written.
 */
export type SpendVerdict = 'rotate' | 'retry' | 'reused' | 'revoked'

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
 *   rejection into 503 `store_unavailable` (fail closed). One exception, for DPoP proof ids
 *   (`consume('dpop:<jkt>:<jti>', …)`): a store whose bound of them is full may forget the OLDEST
 *   proof id of the key holding the most, so that one client's flood of fresh proofs only makes its
 *   own proofs replayable instead of refusing everyone (memoryStore's `maxProofs`).
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
   * So may a shared store that holds an answer it knows to be current — the verdict cache of
   * `redisStore` and `postgresStore`, which the server tells of every change (docs/redis.md,
   * docs/postgres.md) — but never one that could be stale.
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
  /**
   * One refresh-token presentation in ONE atomic step (one round trip): the revocation check, the
   * family's spend state (its highest spent generation, when that generation was first presented
   * and how often), and the session touch. Optional: without it the core composes the same
   * decision from `isRevoked`, `hit`, `consume` and `touchSession` — four round trips, and one spent
   * mark per rotation instead of one state per session. The state of a family:
   *
   * - none yet, or `generation` above the highest spent one: spend it (state = `generation`, first
   *   presented now, once) → `rotate`;
   * - `generation` equal to the highest spent one, first presented less than `graceSeconds` away
   *   from `now` (either side; never when `graceSeconds` is 0), presented at most `graceRetries`
   *   times since: count it → `retry`;
   * - anything else → `reused` (nothing changes: the caller revokes the family).
   *
   * Atomic like `consume`: of 50 concurrent presentations of one unspent generation exactly one
   * gets `rotate`. The state lives at least until `expiresAt` (never shortened).
   */
  spendRefresh?(spend: RefreshSpend): Promise<SpendVerdict>
  /**
   * The highest generation of `family` spent so far, or `null` when none is (read-only; for
   * introspection: a refresh token of that generation or older is spent). Optional, with
   * {@link TokenStore.spendRefresh}.
   */
  spentGeneration?(family: string, subject: string): Promise<number | null>
  /** Session records (optional, all four or none): see {@link SessionStore}. */
  saveSession?: SessionStore['saveSession']
  /** See {@link SessionStore.touchSession}. */
  touchSession?: SessionStore['touchSession']
  /** See {@link SessionStore.listSessions}. */
  listSessions?: SessionStore['listSessions']
  /** See {@link SessionStore.deleteSession}. */
  deleteSession?: SessionStore['deleteSession']
  /** See {@link SessionStore.getSession}. */
  getSession?: SessionStore['getSession']
  /** See {@link SessionStore.deleteSessions}. */
  deleteSessions?: SessionStore['deleteSessions']
}

/** The session methods of a {@link TokenStore}, in the order error messages name them (the required four). */
export const SESSION_STORE_METHODS = ['saveSession', 'touchSession', 'listSessions', 'deleteSession'] as const
