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
 * @packageDocumentation
 */
import type { Driver, Listener } from './driver.js'
import type { PostgresCacheOptions, PostgresCacheStats } from './types.js'

/** Heartbeat period: with `timeoutMs`, the longest a silently dead connection can go unnoticed. */
export const HEARTBEAT_MS = 250
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 30_000
export const DEFAULT_MAX_ENTRIES = 50_000
export const DEFAULT_MAX_AGE_MS = 30_000

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

/** Settings of one verdict cache. */
export interface VerdictCacheSettings {
  driver: Driver
  channel: string
  maxEntries: number
  maxAgeMs: number
  timeoutMs: number
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
  /** Call with what the statement read; caches what may be cached. */
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

function unref(timer: unknown) {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function')
    timer.unref()
}

/** Settles like `work`, or rejects after `ms`; the timer never keeps a process alive. */
function within<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tokenward: ${what} took longer than ${ms} ms`)), ms)
    unref(timer)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}

/** One verdict cache with its own LISTEN connection. @internal Exported for tests. */
export function createVerdictCache(settings: VerdictCacheSettings): VerdictCache {
  const { driver, channel, maxEntries, maxAgeMs, timeoutMs, now } = settings
  const revoked = new Map<string, Entry>()
  const cutoffs = new Map<string, Entry>()
  // Epochs: every announcement and every flush moves `epoch`; a read remembers the epoch it was
  // sent at and may insert a key only if neither a flush (`flushedAt`) nor an announcement of
  // that key (`touched`) came later. Keys in flight are `r:<id>` and `c:<subject>`, as announced.
  let epoch = 0
  let flushedAt = 0
  const inflight = new Map<string, number>()
  const touched = new Map<string, number>()

  let live = false
  let state: 'idle' | 'opening' | 'live' | 'closed' = 'idle'
  let listener: Listener | undefined
  let generation = 0
  let retryAt = 0
  let retryMs = FIRST_RETRY_MS
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let pinging = false
  let warned = false
  // Probes and heartbeats: payloads `p:<this cache>:<n>` sent on the channel, waited for here.
  const self = Math.random().toString(36).slice(2)
  let sequence = 0
  const waiting = new Map<string, () => void>()
  const counts = { hits: 0, misses: 0, invalidations: 0, flushes: 0 }

  const flush = () => {
    epoch++
    flushedAt = epoch
    if (revoked.size + cutoffs.size > 0 || live) counts.flushes++
    revoked.clear()
    cutoffs.clear()
  }

  const invalidate = (key: string) => {
    epoch++
    if (key.startsWith('r:')) revoked.delete(key.slice(2))
    else cutoffs.delete(key.slice(2))
    if (inflight.has(key)) touched.set(key, epoch)
  }

  const notify = (payload: string) => {
    if (payload.startsWith('p:')) {
      waiting.get(payload)?.()
      return
    }
    if (payload === '*') {
      flush()
      return
    }
    if (payload.startsWith('r:') || payload.startsWith('c:')) {
      counts.invalidations++
      invalidate(payload)
      return
    }
    flush() // A payload we cannot read: assume the worst.
  }

  /** Sends a probe on the channel and waits for it to come back. */
  const probe = async (conn: Listener) => {
    const payload = `p:${self}:${++sequence}`
    const arrived = new Promise<void>((resolve) => waiting.set(payload, resolve))
    try {
      await within(
        Promise.all([conn.send(payload), arrived]),
        timeoutMs,
        'a notification round trip on the LISTEN connection',
      )
    } finally {
      waiting.delete(payload)
    }
  }

  /** Stops serving, drops everything and the connection; a later read may open a new one. */
  const down = () => {
    live = false
    flush()
    if (heartbeat) clearInterval(heartbeat)
    heartbeat = undefined
    pinging = false
    const old = listener
    listener = undefined
    generation++
    if (state !== 'closed') state = 'idle'
    retryAt = Date.now() + retryMs
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
    old?.close()
  }

  const beat = () => {
    if (!listener || pinging) return
    pinging = true
    const mine = generation
    probe(listener).then(
      () => {
        if (mine === generation) pinging = false
      },
      () => {
        if (mine === generation) down()
      },
    )
  }

  const open = async () => {
    state = 'opening'
    const mine = ++generation
    let connected = false
    try {
      const opening = driver.listen(channel, {
        notify,
        closed: () => {
          if (mine === generation && listener !== undefined) down()
        },
      })
      // A connection that opens after it timed out (or after release) is closed at once.
      opening.then(
        (late) => {
          if (mine !== generation) late.close()
        },
        () => {},
      )
      const opened = await within(opening, timeoutMs, 'opening the LISTEN connection')
      if (mine !== generation) return
      listener = opened
      connected = true
      // Prove the path end to end before trusting it: a notification sent now must come back.
      await probe(opened)
      if (mine !== generation) return
      // Reads sent before this moment were not covered by the LISTEN: they cache nothing.
      flush()
      live = true
      state = 'live'
      retryMs = FIRST_RETRY_MS
      heartbeat = setInterval(beat, HEARTBEAT_MS)
      unref(heartbeat)
    } catch (err) {
      if (mine !== generation) return
      if (connected && !warned) {
        warned = true
        settings.warn(
          `tokenward: the PostgreSQL verdict cache is off for now — its LISTEN connection could not be ` +
            `proven (${err instanceof Error ? err.message : String(err)}); every check asks PostgreSQL. ` +
            'It needs a direct connection or a session-mode pooler (LISTEN does not work through ' +
            'transaction pooling) and a primary (no LISTEN on a hot standby).',
        )
      }
      down()
    }
  }

  /** After a successful read: open the connection if there is none (and the last attempt is old enough). */
  const wake = () => {
    if (state === 'idle' && Date.now() >= retryAt) void open()
  }

  const insert = (map: Map<string, Entry>, key: string, entry: Entry) => {
    map.delete(key)
    if (map.size >= maxEntries) {
      const oldest = map.keys().next()
      if (!oldest.done) map.delete(oldest.value)
    }
    map.set(key, entry)
  }

  const settle = (key: string) => {
    const n = (inflight.get(key) ?? 1) - 1
    if (n > 0) inflight.set(key, n)
    else {
      inflight.delete(key)
      touched.delete(key)
    }
  }

  const mayInsert = (key: string, start: number) =>
    live && start >= flushedAt && (touched.get(key) ?? -1) <= start

  const keysOf = (read: { ids: readonly string[]; subject: string | undefined }) => {
    const keys = read.ids.map((id) => `r:${id}`)
    if (read.subject !== undefined) keys.push(`c:${read.subject}`)
    return keys
  }

  /** Looks `key` up; `undefined` when unknown or too old (and then forgotten). */
  const lookup = (map: Map<string, Entry>, key: string, t: number) => {
    const entry = map.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= t) {
      map.delete(key)
      return undefined
    }
    return entry
  }

  return {
    answer(ids, subject, issuedAt) {
      if (!live) return undefined
      const t = now()
      let isRevoked = false
      // Every key is looked at, so a hit never depends on which present key came first.
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
      counts.hits++
      return isRevoked
    },
    begin(ids, subject) {
      counts.misses++
      const read = { ids, subject, start: epoch }
      for (const key of keysOf(read)) inflight.set(key, (inflight.get(key) ?? 0) + 1)
      return read
    },
    end(read, rows) {
      const t = now()
      const fresh = t + maxAgeMs
      for (const id of read.ids) {
        const key = `r:${id}`
        if (mayInsert(key, read.start)) {
          const expiresAt = rows.revoked.get(id)
          insert(
            revoked,
            id,
            expiresAt === undefined
              ? { present: false, at: 0, until: fresh }
              : { present: true, at: 0, until: Math.min(fresh, expiresAt * 1000) },
          )
        }
        settle(key)
      }
      if (read.subject !== undefined) {
        const key = `c:${read.subject}`
        if (mayInsert(key, read.start)) {
          const cut = rows.cutoff
          insert(
            cutoffs,
            read.subject,
            cut === null
              ? { present: false, at: 0, until: fresh }
              : { present: true, at: cut.at, until: Math.min(fresh, cut.expiresAt * 1000) },
          )
        }
        settle(key)
      }
      wake()
    },
    failed(read) {
      for (const key of keysOf(read)) settle(key)
    },
    written(kind, key) {
      invalidate(`${kind}:${key}`)
    },
    stats: () => ({ enabled: true, live, entries: revoked.size + cutoffs.size, ...counts }),
    release() {
      state = 'closed'
      down()
    },
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
