/**
 * The local verdict cache of `redisStore` (internal to `tokenward/redis`): the answers of the
 * request-path check — "this token id is not revoked", "this subject has no cutoff" (or this one) —
 * remembered in the process, and kept exact by Redis itself through server-assisted client-side
 * caching (https://redis.io/docs/latest/develop/reference/client-side-caching/).
 *
 * One extra connection per store (shared by stores on one client and prefix) runs
 * `CLIENT TRACKING ON BCAST PREFIX <prefix>{0 … PREFIX <prefix>{f`: Redis then names every key under
 * those prefixes that changes — written, deleted, expired, evicted, flushed — to this connection,
 * whoever changed it. That covers every key the check reads (`r` marks and `c` cutoffs; their
 * hash tags are hex) and leaves out the rate-limit counters (`{h:…}`). node-redis receives the
 * invalidations as RESP3 pushes; ioredis, which drops those pushes, on a RESP2 connection that
 * redirects them to itself and subscribes to `__redis__:invalidate`.
 *
 * Exactness rules, each one a test in test/stores/redis-cache*.test.ts:
 * - A hit answers synchronously, with no round trip; anything not known asks Redis (one MGET).
 * - A read inserts what it fetched only if no invalidation of that key, and no flush, happened
 *   since the read was sent (an epoch counter): a read that raced a write never caches the old value.
 * - Own writes (`revoke`, `setCutoff`) drop the key locally before they are sent and again when
 *   they are answered.
 * - The cache serves only while the connection is registered, proven (a probe key written after
 *   registration must come back as an invalidation) and answering a heartbeat within `timeoutMs`.
 *   Any doubt — the connection closes or is killed, a heartbeat is late, a message cannot be read,
 *   `FLUSHALL`, a failed command on the store's own client — empties the cache and stops serving
 *   from it until a new connection is registered and proven; reads sent before that moment cache
 *   nothing.
 * - Present values (a revocation mark, a cutoff) are cached with their `PEXPIRETIME`, so an entry
 *   never outlives its key. Every entry, present or absent, is at most `maxAgeMs` old (default
 *   60 s, counted from when its read was sent): only a write can create a key and a write is
 *   announced — but `SWAPDB` replaces a database's keys and is announced to no tracker, so the age
 *   bounds every change Redis does not tell.
 * - Bounded: at most `maxEntries` keys, the oldest inserted leaves first.
 *
 * @packageDocumentation
 */
import {
  type CacheRead,
  type Entry,
  FIRST_RETRY_MS,
  HEARTBEAT_MS,
  MAX_RETRY_MS,
  PROBE,
  type Send,
  SetupRefused,
  type Tracker,
  type TrackerEvents,
  type TrackerSource,
  text,
  unref,
  within,
} from './invalidations.js'

/** Options of the verdict cache: `redisStore({ client, cache: { maxEntries } })`. */
export interface RedisCacheOptions {
  /**
   * Most keys remembered at once (default 50 000; each check reads two or three: the token id,
   * its family, the subject's cutoff). When full, the oldest entry leaves first.
   */
  maxEntries?: number
  /**
   * The oldest answer given, in ms (default 60 000): after that the key is read from Redis again.
   * It bounds how long a change Redis does not announce (`SWAPDB`) can go unseen.
   */
  maxAgeMs?: number
}

/** What `store.cacheStats()` reports about the verdict cache (counters since the cache was made). */
export interface RedisCacheStats {
  /** A cache was asked for and the client can have one (a single server, node-redis or ioredis). */
  enabled: boolean
  /** The invalidation connection is registered and proven: hits are being served. */
  live: boolean
  /** Keys held now. */
  entries: number
  /** Checks answered from the cache, without a round trip. */
  hits: number
  /** Checks that asked Redis (the cache did not know every key, or was not serving). */
  misses: number
  /** Keys Redis announced as changed. */
  invalidations: number
  /** Times the whole cache was emptied (disconnect, late heartbeat, FLUSHALL, failed command, re-registration). */
  flushes: number
}

/** Settings of one verdict cache. */
export interface VerdictCacheSettings {
  source: TrackerSource
  /** The store's key prefix. */
  prefix: string
  maxEntries: number
  /** See {@link RedisCacheOptions.maxAgeMs}. */
  maxAgeMs: number
  /** The store's clock, epoch ms: the age of entries, and whether a present value's key has expired. */
  now: () => number
  /** The store's timeout: for registration, the probe and the heartbeat. */
  timeoutMs: number
  /** Sends a command through the store's client (with its server check and timeout). */
  send: Send
  warn(message: string): void
}

/** The cache one store (or several on one client and prefix) uses. */
export interface VerdictCache {
  /**
   * The check's verdict from the cache alone — any of the first `count` keys present, or the key
   * after them a cutoff at or after `issuedAt` — or `undefined` when a key is not known (or the
   * cache is not serving).
   */
  answer(keys: readonly string[], count: number, issuedAt: number | undefined): boolean | undefined
  /** Call before sending the MGET of `keys`. */
  begin(keys: readonly string[]): CacheRead
  /** Call with the MGET's reply; caches what may be cached. */
  end(read: CacheRead, values: readonly unknown[]): void
  /** Call when the MGET failed: the read caches nothing, and the whole cache is dropped. */
  failed(read: CacheRead): void
  /** Own write of `key`: call before sending it and again when it is answered (or failed). */
  written(key: string): void
  /** Something went wrong on the store's client: drop everything. */
  doubt(): void
  stats(): RedisCacheStats
  /** One store no longer uses the cache; the last one closes its connection. */
  release(): void
}

/** Caches by client, then by prefix and bound: stores made on one client and prefix share one connection. */
const shared = new WeakMap<object, Map<string, { cache: VerdictCache; users: number }>>()

/**
 * The verdict cache for `client` and `settings.prefix`, shared with other stores on that client
 * and prefix (so a store made per request cannot open a connection per request).
 */
export function verdictCache(client: object, settings: VerdictCacheSettings): VerdictCache {
  let byPrefix = shared.get(client)
  if (!byPrefix) {
    byPrefix = new Map()
    shared.set(client, byPrefix)
  }
  const id = `${settings.maxEntries}:${settings.maxAgeMs}:${settings.prefix}`
  const found = byPrefix.get(id)
  if (found) {
    found.users++
    return found.cache
  }
  const slot = { cache: undefined as unknown as VerdictCache, users: 1 }
  const inner = createVerdictCache(settings)
  slot.cache = {
    ...inner,
    release() {
      if (--slot.users > 0) return
      byPrefix.delete(id)
      inner.release()
    },
  }
  byPrefix.set(id, slot)
  return slot.cache
}

/** One verdict cache with its own invalidation connection. @internal Exported for tests. */
export function createVerdictCache(settings: VerdictCacheSettings): VerdictCache {
  const { source, maxEntries, maxAgeMs, timeoutMs, send, now: clock } = settings
  const keyPrefix = source.keyPrefix
  // Every key the check reads has a hex hash tag after the prefix: `prefix{3f…}:r:…`, `prefix{…}:c:…`.
  const prefixes = Array.from('0123456789abcdef', (h) => `${keyPrefix}${settings.prefix}{${h}`)

  const entries = new Map<string, Entry>()
  // Epochs: every invalidation and every flush moves `epoch`; a read remembers the epoch it was
  // sent at and may insert a key only if neither a flush (`flushedAt`) nor an invalidation of that
  // key (`touched`) came later.
  let epoch = 0
  let flushedAt = 0
  const inflight = new Map<string, number>() // key → reads in flight
  const touched = new Map<string, number>() // key → epoch of its last invalidation while read

  let live = false
  let state: 'idle' | 'opening' | 'live' | 'closed' = 'idle'
  let tracker: Tracker | undefined
  let generation = 0
  let retryAt = 0
  let retryMs = FIRST_RETRY_MS
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let pinging = false
  let warned = false
  let probe: { key: string; arrived: () => void } | undefined
  const counts = { hits: 0, misses: 0, invalidations: 0, flushes: 0 }

  const flush = () => {
    epoch++
    flushedAt = epoch
    if (entries.size > 0 || live) counts.flushes++
    entries.clear()
  }

  const invalidate = (key: string) => {
    epoch++
    entries.delete(key)
    if (inflight.has(key)) touched.set(key, epoch)
  }

  const fromRedis = (keys: readonly string[] | null) => {
    if (keys === null) {
      flush()
      return
    }
    for (const raw of keys) {
      const key = keyPrefix && raw.startsWith(keyPrefix) ? raw.slice(keyPrefix.length) : raw
      counts.invalidations++
      invalidate(key)
      if (probe && key === probe.key) probe.arrived()
    }
  }

  /** Stops serving, drops everything and the connection; a later read may open a new one. */
  const down = () => {
    live = false
    flush()
    if (heartbeat) clearInterval(heartbeat)
    heartbeat = undefined
    pinging = false
    const old = tracker
    tracker = undefined
    generation++
    if (state !== 'closed') state = 'idle'
    retryAt = Date.now() + retryMs
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
    old?.close()
  }

  const beat = () => {
    if (!tracker || pinging) return
    if (!source.clientOpen()) {
      // The application closed its client: stop, and open nothing until reads succeed again.
      down()
      return
    }
    pinging = true
    const mine = generation
    within(tracker.ping(), timeoutMs, 'the invalidation connection heartbeat').then(
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
      const events: TrackerEvents = {
        invalidate: fromRedis,
        // While opening, a failure is handled below (it rejects the open).
        closed: () => {
          if (mine === generation && tracker !== undefined) down()
        },
      }
      const opening = source.open(prefixes, events)
      // An open that finishes after it timed out (or after release) is closed at once.
      opening.then(
        (late) => {
          if (mine !== generation) late.close()
        },
        () => {},
      )
      const opened = await within(opening, timeoutMs, 'registering for invalidations')
      if (mine !== generation) return
      tracker = opened
      connected = true
      // Prove the path end to end before trusting it: a key written (and deleted) now under a
      // tracked prefix must come back as an invalidation. A client or server that registers but
      // never delivers (an old client, a proxy, a partial Redis clone) fails here: the cache stays off.
      const key = `${settings.prefix}{0}:probe:${Math.random().toString(36).slice(2)}`
      const arrived = new Promise<void>((resolve) => {
        probe = { key, arrived: resolve }
      })
      await send(key, ['EVAL', PROBE, '1', key])
      await within(arrived, timeoutMs, 'the invalidation probe')
      probe = undefined
      if (mine !== generation) return
      // Reads sent before this moment were not covered by the registration: they cache nothing.
      flush()
      live = true
      state = 'live'
      retryMs = FIRST_RETRY_MS
      heartbeat = setInterval(beat, HEARTBEAT_MS)
      unref(heartbeat)
    } catch (err) {
      probe = undefined
      if (mine !== generation) return
      if ((connected || err instanceof SetupRefused) && !warned) {
        warned = true
        settings.warn(
          `tokenward: the Redis verdict cache is off for now — the invalidation connection could not be ` +
            `set up (${err instanceof Error ? err.message : String(err)}); every check asks Redis. It needs ` +
            'Redis 6+ with CLIENT TRACKING (not disabled or forbidden by ACL), node-redis 5+ or ioredis 5+.',
        )
      }
      down()
    }
  }

  /** After a successful read: open the connection if there is none (and the last attempt is old enough). */
  const wake = () => {
    if (state === 'idle' && Date.now() >= retryAt && source.clientOpen()) void open()
  }

  const insert = (key: string, entry: Entry) => {
    entries.delete(key)
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next()
      if (!oldest.done) entries.delete(oldest.value)
    }
    entries.set(key, entry)
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

  /** A present value: cache it with its expiry, read in the background (never on a request's path). */
  const followUp = (key: string, value: string, { start, sentAt }: CacheRead) => {
    inflight.set(key, (inflight.get(key) ?? 0) + 1)
    send(key, ['PEXPIRETIME', key]).then(
      (reply) => {
        const expiresAt = Number(reply)
        // -1 (no expiry) never happens to tokenward's keys; -2 (gone) is asked again next time.
        if (expiresAt > 0 && mayInsert(key, start))
          insert(key, { value, number: Number(value), expiresAt: Math.min(expiresAt, sentAt + maxAgeMs) })
        settle(key)
      },
      () => settle(key),
    )
  }

  return {
    answer(keys, count, issuedAt) {
      if (!live) return undefined
      let revoked = false
      const now = clock()
      // Every key is looked at, so a hit never depends on which present key came first.
      for (let i = 0; i < keys.length; i++) {
        const entry = entries.get(keys[i]!)
        if (entry === undefined) return undefined
        if (entry.expiresAt <= now) {
          entries.delete(keys[i]!)
          return undefined
        }
        if (entry.value === null) continue
        if (i < count || (issuedAt !== undefined && issuedAt <= entry.number)) revoked = true
      }
      counts.hits++
      return revoked
    },
    begin(keys) {
      counts.misses++
      for (const key of keys) inflight.set(key, (inflight.get(key) ?? 0) + 1)
      return { keys, start: epoch, sentAt: clock() }
    },
    end(read, values) {
      const { keys, start, sentAt } = read
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        const value = values[i]
        if (mayInsert(key, start)) {
          if (value === null || value === undefined)
            insert(key, { value: null, number: Number.NaN, expiresAt: sentAt + maxAgeMs })
          else followUp(key, text(value), read)
        }
        settle(key)
      }
      wake()
    },
    failed(read) {
      for (const key of read.keys) settle(key)
      flush()
    },
    written: invalidate,
    doubt: flush,
    stats: () => ({ enabled: true, live, entries: entries.size, ...counts }),
    release() {
      state = 'closed'
      down()
    },
  }
}
