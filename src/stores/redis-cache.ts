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
 *   never outlives its key; absent ones need no expiry (only a write can create the key, and a
 *   write is announced).
 * - Bounded: at most `maxEntries` keys, the oldest inserted leaves first.
 *
 * @packageDocumentation
 */

/** Options of the verdict cache: `redisStore({ client, cache: { maxEntries } })`. */
export interface RedisCacheOptions {
  /**
   * Most keys remembered at once (default 50 000; each check reads two or three: the token id,
   * its family, the subject's cutoff). When full, the oldest entry leaves first.
   */
  maxEntries?: number
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

/** An open invalidation connection. */
interface Tracker {
  /** A round trip on the invalidation connection itself (it answers after every invalidation sent before it). */
  ping(): Promise<unknown>
  close(): void
}

/** Callbacks a tracker calls; `null` keys mean "everything" (FLUSHALL, FLUSHDB, an unreadable message). */
interface TrackerEvents {
  invalidate(keys: readonly string[] | null): void
  closed(): void
}

/** Opens a tracker registered for `prefixes`; rejects when any step fails. */
type OpenTracker = (prefixes: readonly string[], events: TrackerEvents) => Promise<Tracker>

/** How the cache reaches Redis for its own commands (the store's client, with its timeout). */
type Send = (key: string, args: string[]) => Promise<unknown>

/** What a client offers the cache: a way to open a tracker, and whether the client itself is still open. */
export interface TrackerSource {
  open: OpenTracker
  /** The client's key prefix (ioredis `keyPrefix`): Redis names keys with it, the store without. */
  keyPrefix: string
  /** `false` once the application closed its client: the cache then stops reconnecting. */
  clientOpen(): boolean
}

/** A present value (and as a number, for a cutoff) with its absolute expiry (epoch ms); `null` = no such key. */
type Entry = null | { value: string; number: number; expiresAt: number }

/** One MGET in flight: when it was sent, and for which keys. */
export interface CacheRead {
  keys: readonly string[]
  start: number
}

const decoder = new TextDecoder()
const text = (value: unknown): string =>
  typeof value === 'string' ? value : value instanceof Uint8Array ? decoder.decode(value) : String(value)

const INVALIDATE_CHANNEL = '__redis__:invalidate'
const TRACKER_NAME = 'tokenward-invalidations'
/** Heartbeat period: with `timeoutMs`, the longest a silently dead connection can go unnoticed. */
const HEARTBEAT_MS = 250
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 30_000
const DEFAULT_MAX_ENTRIES = 50_000
/** Writes and deletes the probe key in one step: one invalidation, and nothing left behind. */
const PROBE = "redis.call('SET', KEYS[1], '1') redis.call('DEL', KEYS[1]) return 1"

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

interface EventSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

/**
 * How to open an invalidation connection for `client`, or `undefined` when it cannot have one:
 * a cluster (tracking is per node, and keys can move to a node this process does not watch
 * without any signal), or a client without `duplicate()`.
 */
export function trackerSource(client: unknown): TrackerSource | undefined {
  if (!isRecord(client) || typeof client.duplicate !== 'function' || typeof client.on !== 'function')
    return undefined
  const c = client as Record<string, unknown> & { duplicate(options: object): unknown }
  const options = isRecord(c.options) ? c.options : {}
  if (typeof c.call === 'function') {
    if (c.isCluster === true) return undefined
    return {
      open: (prefixes, events) => openIoredis(c, prefixes, events),
      keyPrefix: typeof options.keyPrefix === 'string' ? options.keyPrefix : '',
      clientOpen: () => c.status !== 'end',
    }
  }
  if (typeof c.sendCommand === 'function' && !('masters' in c)) {
    return {
      open: (prefixes, events) => openNodeRedis(c, options, prefixes, events),
      keyPrefix: '',
      clientOpen: () => c.isOpen !== false,
    }
  }
  return undefined
}

/** The server refused a setup step after connecting (CLIENT disabled, ACL, no TRACKING): worth a warning. */
class SetupRefused extends Error {
  override name = 'SetupRefused'
}
const refused = (err: unknown) => new SetupRefused(err instanceof Error ? err.message : String(err))
/** A connect failure is the server refusing (an error reply: `ERR …`, `NOPERM …`), or the network (retried quietly). */
const connectFailure = (err: unknown) =>
  err instanceof Error && /^[A-Z][A-Z_]{2,} /.test(err.message) ? refused(err) : err

const trackingArgs = (prefixes: readonly string[]) => ['BCAST', ...prefixes.flatMap((p) => ['PREFIX', p])]

/** node-redis: a RESP3 duplicate; invalidations arrive as pushes, emitted as 'invalidate' (one key each). */
async function openNodeRedis(
  client: { duplicate(options: object): unknown },
  options: Record<string, unknown>,
  prefixes: readonly string[],
  events: TrackerEvents,
): Promise<Tracker> {
  const socket = isRecord(options.socket) ? options.socket : {}
  // No reconnects: a new connection is a new registration, made by the cache after a flush.
  const sub = client.duplicate({
    RESP: 3,
    emitInvalidate: true,
    clientSideCache: undefined,
    socket: { ...socket, reconnectStrategy: false },
  }) as EventSource & {
    connect(): Promise<unknown>
    sendCommand(args: string[]): Promise<unknown>
    destroy(): void
  }
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    try {
      sub.destroy()
    } catch {
      // Already gone.
    }
    events.closed()
  }
  sub.on('error', close)
  sub.on('end', close)
  sub.on('invalidate', (key) => events.invalidate(key === null || key === undefined ? null : [text(key)]))
  try {
    await sub.connect()
  } catch (err) {
    close()
    throw connectFailure(err)
  }
  try {
    await sub.sendCommand(['CLIENT', 'SETNAME', TRACKER_NAME])
    // emitInvalidate switched on default-mode tracking; BCAST needs it off first.
    await sub.sendCommand(['CLIENT', 'TRACKING', 'OFF'])
    await sub.sendCommand(['CLIENT', 'TRACKING', 'ON', ...trackingArgs(prefixes)])
  } catch (err) {
    close()
    throw refused(err)
  }
  return { ping: () => sub.sendCommand(['PING']), close }
}

/**
 * ioredis: it drops RESP3 invalidation pushes, so a RESP2 duplicate redirects its own
 * invalidations to itself and subscribes to `__redis__:invalidate`.
 */
async function openIoredis(
  client: { duplicate(options: object): unknown },
  prefixes: readonly string[],
  events: TrackerEvents,
): Promise<Tracker> {
  const sub = client.duplicate({
    protocol: 2,
    lazyConnect: true,
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => null,
    reconnectOnError: null,
    maxRetriesPerRequest: 0,
    keyPrefix: '',
  }) as EventSource & {
    connect(): Promise<unknown>
    call(command: string, ...args: string[]): Promise<unknown>
    subscribe(channel: string): Promise<unknown>
    ping(): Promise<unknown>
    disconnect(): void
  }
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    try {
      sub.disconnect()
    } catch {
      // Already gone.
    }
    events.closed()
  }
  sub.on('error', close)
  sub.on('close', close)
  sub.on('end', close)
  sub.on('messageBuffer', (channel, message) => {
    if (text(channel) !== INVALIDATE_CHANNEL) return
    events.invalidate(Array.isArray(message) ? message.map(text) : null)
  })
  try {
    await sub.connect()
  } catch (err) {
    close()
    throw connectFailure(err)
  }
  try {
    await sub.call('CLIENT', 'SETNAME', TRACKER_NAME)
    const id = await sub.call('CLIENT', 'ID')
    await sub.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', text(id), ...trackingArgs(prefixes))
    await sub.subscribe(INVALIDATE_CHANNEL)
  } catch (err) {
    close()
    throw refused(err)
  }
  return { ping: () => sub.ping(), close }
}

/** Settles like `work`, or rejects after `ms`; the timer never keeps a process alive. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
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

function unref(timer: unknown) {
  if (isRecord(timer) && typeof timer.unref === 'function') (timer.unref as () => void)()
}

/** Settings of one verdict cache. */
export interface VerdictCacheSettings {
  source: TrackerSource
  /** The store's key prefix. */
  prefix: string
  maxEntries: number
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
  const id = `${settings.maxEntries}:${settings.prefix}`
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
  const { source, maxEntries, timeoutMs, send } = settings
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
  const followUp = (key: string, value: string, start: number) => {
    inflight.set(key, (inflight.get(key) ?? 0) + 1)
    send(key, ['PEXPIRETIME', key]).then(
      (reply) => {
        const expiresAt = Number(reply)
        // -1 (no expiry) never happens to tokenward's keys; -2 (gone) is asked again next time.
        if (expiresAt > 0 && mayInsert(key, start)) insert(key, { value, number: Number(value), expiresAt })
        settle(key)
      },
      () => settle(key),
    )
  }

  return {
    answer(keys, count, issuedAt) {
      if (!live) return undefined
      let revoked = false
      let now = 0
      // Every key is looked at, so a hit never depends on which present key came first.
      for (let i = 0; i < keys.length; i++) {
        const entry = entries.get(keys[i]!)
        if (entry === undefined) return undefined
        if (entry === null) continue
        if (now === 0) now = Date.now()
        if (entry.expiresAt <= now) {
          entries.delete(keys[i]!)
          return undefined
        }
        if (i < count || (issuedAt !== undefined && issuedAt <= entry.number)) revoked = true
      }
      counts.hits++
      return revoked
    },
    begin(keys) {
      counts.misses++
      for (const key of keys) inflight.set(key, (inflight.get(key) ?? 0) + 1)
      return { keys, start: epoch }
    },
    end(read, values) {
      const { keys, start } = read
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        const value = values[i]
        if (mayInsert(key, start)) {
          if (value === null || value === undefined) insert(key, null)
          else followUp(key, text(value), start)
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

/** What `redisStore` uses: the cache where the client can have one, else a pass-through. */
export interface StoreCache {
  /**
   * The keys of one check, built by `build` — or, for a token checked before, the same strings
   * as last time: strings the cache has hashed once look up fast (see {@link KeyMemo}).
   */
  keys(ids: readonly string[], subject: string | undefined, build: () => string[]): readonly string[]
  /** See {@link VerdictCache.answer}. */
  answer(keys: readonly string[], count: number, issuedAt: number | undefined): boolean | undefined
  /** Runs `fetch` (the MGET of `keys`) and caches what may be cached from its reply. */
  read(keys: readonly string[], fetch: () => Promise<unknown[]>): Promise<unknown[]>
  /** Runs an own write of `key`: the key leaves the cache before it is sent and again once answered. */
  write<T>(key: string, work: () => Promise<T>): Promise<T>
  stats(): RedisCacheStats
  release(): void
}

const OFF: StoreCache = {
  keys: (_ids, _subject, build) => build(),
  answer: () => undefined,
  read: (_keys, fetch) => fetch(),
  write: (_key, work) => work(),
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

/**
 * The verdict cache of one store, as `redisStore({ client, cache })` asks for it. Off (a
 * pass-through) with `cache: false`, on Redis Cluster and for clients without `duplicate()`; an
 * explicit `cache: true` or `{ maxEntries }` there earns a warning.
 */
export function storeCache(
  client: object,
  option: unknown,
  deps: {
    prefix: string
    timeoutMs: number
    send: Send
    warnOnce(kind: string, message: string): void
  },
): StoreCache {
  const { requested, explicit, maxEntries } = cacheOption(option)
  if (!requested) return OFF
  const source = trackerSource(client)
  if (!source) {
    if (explicit)
      deps.warnOnce(
        'cache',
        'tokenward: the Redis verdict cache is off — it needs a single server through a node-redis or ' +
          'ioredis client (on Redis Cluster, keys can move to a node this process does not watch); every ' +
          'check asks Redis.',
      )
    return OFF
  }
  const cache = verdictCache(client, {
    source,
    prefix: deps.prefix,
    maxEntries,
    timeoutMs: deps.timeoutMs,
    send: deps.send,
    warn: (message) => deps.warnOnce('cache-setup', message),
  })
  const memo = keyMemo(maxEntries)
  // A failed read or write empties the cache: a broken link may have lost invalidations too.
  const doubt = (err: unknown): never => {
    cache.doubt()
    throw err
  }
  let released = false
  return {
    keys: memo.keys,
    answer: cache.answer,
    async read(keys, fetch) {
      const read = cache.begin(keys)
      let values: unknown[]
      try {
        values = await fetch()
      } catch (err) {
        cache.failed(read)
        throw err
      }
      cache.end(read, values)
      return values
    },
    async write(key, work) {
      cache.written(key)
      try {
        return await work().catch(doubt)
      } finally {
        cache.written(key)
      }
    },
    stats: cache.stats,
    release() {
      if (released) return
      released = true
      cache.release()
    },
  }
}

/**
 * The key names of recent checks, by token id. Building them costs a hash of the subject, URI
 * encoding and concatenation, and a new string must be hashed again on every lookup; a token
 * checked before gets the very same strings back. The id (`jti`) is 128 random bits, and the
 * second id (the family) and the subject must match too. Bounded like the cache; oldest first.
 */
interface KeyMemo {
  keys(ids: readonly string[], subject: string | undefined, build: () => string[]): readonly string[]
}

function keyMemo(max: number): KeyMemo {
  const byId = new Map<string, { second: string | undefined; subject: string | undefined; keys: string[] }>()
  return {
    keys(ids, subject, build) {
      const first = ids[0]
      if (first === undefined || ids.length > 2) return build()
      const found = byId.get(first)
      if (found && found.second === ids[1] && found.subject === subject) return found.keys
      const keys = build()
      if (found) byId.delete(first)
      else if (byId.size >= max) {
        const oldest = byId.keys().next()
        if (!oldest.done) byId.delete(oldest.value)
      }
      byId.set(first, { second: ids[1], subject, keys })
      return keys
    },
  }
}

/** Reads `redisStore({ cache })`: `undefined` = the default, `false` = off, else the bound. */
export function cacheOption(value: unknown): { requested: boolean; explicit: boolean; maxEntries: number } {
  if (value === undefined || value === true)
    return { requested: true, explicit: value === true, maxEntries: DEFAULT_MAX_ENTRIES }
  if (value === false) return { requested: false, explicit: true, maxEntries: 0 }
  if (!isRecord(value) || Array.isArray(value))
    throw new TypeError('tokenward: redisStore cache must be true, false or { maxEntries }')
  for (const name of Object.keys(value))
    if (name !== 'maxEntries')
      throw new TypeError(`tokenward: unknown redisStore cache option "${name}" (did you mean "maxEntries"?)`)
  const maxEntries = value.maxEntries ?? DEFAULT_MAX_ENTRIES
  if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('tokenward: redisStore cache.maxEntries must be an integer of at least 1')
  return { requested: true, explicit: true, maxEntries }
}
