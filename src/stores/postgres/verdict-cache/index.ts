/**
 * The verdict cache of postgresStore (internal to `tokenward/postgres`): the answers of the
 * request-path check — "this token id is not revoked", "this subject has no cutoff" (or this one)
 * — kept in the process and made exact by PostgreSQL itself through LISTEN/NOTIFY.
 *
 * Triggers on the `revoked` and `cutoffs` tables announce every change — insert, update, delete of
 * a live row, TRUNCATE — on the schema's channel, whoever made it (any instance, psql, a migration).
 * One connection per store (shared by stores on one client and schema) LISTENs to it.
 *
 * Exactness rules, each one a test in test/stores/postgres-cache.test.ts:
 * - A hit answers synchronously, with no statement; anything not known asks PostgreSQL.
 * - A read inserts what it fetched only if no announcement of that key, and no flush, happened
 *   since the read was sent (an epoch counter): a read that raced a change never caches the old
 *   answer. PostgreSQL delivers an announcement only once its transaction is visible to new
 *   snapshots, so a read sent after the announcement arrived sees the change.
 * - Own writes (`revoke`, `setCutoff`, capped session saves) drop their keys before they are
 *   sent and again when they are answered.
 * - The cache serves only while the connection is registered, proven (a probe sent on the channel
 *   after LISTEN must come back) and answering a heartbeat: every 250 ms a notification is sent on
 *   the channel and must come back within `timeoutMs`. Announcements arrive in commit order, so a
 *   heartbeat that comes back proves every change committed before it was sent has arrived. Any
 *   doubt — the connection closes or is killed, the server restarts, a heartbeat is late or fails,
 *   an announcement that cannot be read — empties the cache and stops serving from it until a new
 *   connection is registered and proven; reads sent before that moment cache nothing. A failed
 *   statement on the store's pool is no doubt: it says nothing about the LISTEN connection, and
 *   a write that commits after its call failed is announced like any other.
 * - Worst case: a change is seen within HEARTBEAT_MS + timeoutMs of its commit, or the cache is
 *   empty by then; an answer PostgreSQL never announces (triggers disabled) lives at most
 *   `maxAgeMs`. Present answers (a revocation, a cutoff) never outlive their row.
 * - Bounded: at most `maxEntries` ids and as many subjects, the oldest inserted leaves first.
 *
 * The answers and the epoch guard are in ./entries.ts; the LISTEN connection, its probe and
 * heartbeat in ./connection.ts.
 *
 * @packageDocumentation
 */
import type { Driver } from '../driver.js'
import type { PostgresCacheOptions, PostgresCacheStats } from '../types.js'
import { cacheConnection } from './connection.js'
import { type CacheRead, type CheckRows, verdictEntries } from './entries.js'

export { HEARTBEAT_MS } from './connection.js'
export type { CacheRead, CheckRows } from './entries.js'

export const DEFAULT_MAX_ENTRIES = 50_000
export const DEFAULT_MAX_AGE_MS = 30_000

/** Settings of one verdict cache. */
export interface VerdictCacheSettings {
  driver: Driver
  channel: string
  maxEntries: number
  maxAgeMs: number
  timeoutMs: number
  /** Epoch ms. */
  now: () => number
  warn(message: string): void
}

/** The cache one store (or several on one client and schema) uses. */
export interface VerdictCache {
  /** The verdict from the cache alone, or `undefined` when something is not known (or the cache is not serving). */
  answer(
    ids: readonly string[],
    subject: string | undefined,
    issuedAt: number | undefined,
  ): boolean | undefined
  /** Call before sending the check's statement. */
  begin(ids: readonly string[], subject: string | undefined): CacheRead
  /** Call with what the statement read; caches what may be cached, and opens the connection if there is none. */
  end(read: CacheRead, rows: CheckRows): void
  /** Call when the statement failed: the read caches nothing. */
  failed(read: CacheRead): void
  /** Own write of a revocation (`r`) or a cutoff (`c`): call before sending it and again when answered. */
  written(kind: 'r' | 'c', key: string): void
  stats(): PostgresCacheStats
  /** One store no longer uses the cache; the last one closes its connection. */
  release(): void
}

/** Reads `postgresStore({ cache })`: `undefined` = the default (on), `false` = off, else the bounds. */
export function cacheOption(
  value: unknown,
  check: (given: object, known: readonly string[], where: string) => void,
): { on: boolean; maxEntries: number; maxAgeMs: number } {
  const defaults = { maxEntries: DEFAULT_MAX_ENTRIES, maxAgeMs: DEFAULT_MAX_AGE_MS }
  if (value === undefined || value === true) return { on: true, ...defaults }
  if (value === false) return { on: false, ...defaults }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('tokenward: postgresStore `cache` must be true, false or { maxEntries, maxAgeMs }')
  check(value, ['maxEntries', 'maxAgeMs'], 'postgresStore `cache`')
  const { maxEntries = defaults.maxEntries, maxAgeMs = defaults.maxAgeMs } = value as PostgresCacheOptions
  if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError(
      `tokenward: postgresStore \`cache.maxEntries\` must be a whole number of at least 1, got ${String(maxEntries)}`,
    )
  if (typeof maxAgeMs !== 'number' || !Number.isInteger(maxAgeMs) || maxAgeMs < 100)
    throw new TypeError(
      `tokenward: postgresStore \`cache.maxAgeMs\` must be a whole number of at least 100, got ${String(maxAgeMs)}`,
    )
  return { on: true, maxEntries, maxAgeMs }
}

/** Caches by client, then by schema and bounds: stores on one client and schema share one connection. */
const shared = new WeakMap<object, Map<string, { cache: VerdictCache; users: number }>>()

/** The verdict cache for `client` and `settings.channel`, shared with other stores on them. */
export function sharedVerdictCache(client: object, settings: VerdictCacheSettings): VerdictCache {
  let byChannel = shared.get(client)
  if (!byChannel) {
    byChannel = new Map()
    shared.set(client, byChannel)
  }
  const id = `${settings.channel}:${settings.maxEntries}:${settings.maxAgeMs}:${settings.timeoutMs}`
  const found = byChannel.get(id)
  if (found) {
    found.users++
    return found.cache
  }
  const inner = createVerdictCache(settings)
  const slot = { users: 1 } as { users: number; cache: VerdictCache }
  slot.cache = {
    ...inner,
    release() {
      if (--slot.users > 0) return
      byChannel.delete(id)
      inner.release()
    },
  }
  byChannel.set(id, slot)
  return slot.cache
}

/** One verdict cache with its own LISTEN connection. @internal Exported for tests. */
export function createVerdictCache(settings: VerdictCacheSettings): VerdictCache {
  const { maxEntries, maxAgeMs, now } = settings
  let changes = 0 // announcements of one key (the `invalidations` of the stats)
  const entries = verdictEntries({ maxEntries, maxAgeMs, now, live: () => connection.live() })
  const connection = cacheConnection({
    driver: settings.driver,
    channel: settings.channel,
    timeoutMs: settings.timeoutMs,
    warn: settings.warn,
    onFlush: () => entries.flush(),
    onChange(payload) {
      if (payload.startsWith('r:') || payload.startsWith('c:')) {
        changes++
        entries.invalidate(payload)
      } else entries.flush() // '*' (TRUNCATE, a key too long), or a payload we cannot read
    },
  })
  return {
    answer: entries.answer,
    begin: entries.begin,
    end(read, rows) {
      entries.end(read, rows)
      connection.wake()
    },
    failed: entries.failed,
    written: (kind, key) => entries.invalidate(`${kind}:${key}`),
    stats: () => ({ enabled: true, live: connection.live(), ...entries.counts(), invalidations: changes }),
    release: () => connection.release(),
  }
}

/** The pass-through of `cache: false`. */
export const NO_CACHE: VerdictCache = {
  answer: () => undefined,
  begin: (ids, subject) => ({ ids, subject, start: 0 }),
  end: () => {},
  failed: () => {},
  written: () => {},
  stats: () => ({
    enabled: false,
    live: false,
    entries: 0,
    hits: 0,
    misses: 0,
    invalidations: 0,
    flushes: 0,
  }),
  release: () => {},
}
