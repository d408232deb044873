/**
 * How redisStore uses its verdict cache (cache.ts): the key memo of the request path and
 * the pass-through where the client cannot have a cache (a cluster, `cache: false`).
 */

import { type RedisCacheStats, verdictCache } from './cache.js'
import {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_ENTRIES,
  isRecord,
  type Send,
  trackerSource,
} from './invalidations.js'

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
  /** Keys a script of the store's own just wrote (known only from its answer): they leave the cache. */
  invalidate(keys: readonly string[]): void
  stats(): RedisCacheStats
  release(): void
}

export const OFF: StoreCache = {
  keys: (_ids, _subject, build) => build(),
  answer: () => undefined,
  read: (_keys, fetch) => fetch(),
  write: (_key, work) => work(),
  invalidate: () => {},
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
    now: () => number
  },
): StoreCache {
  const { requested, explicit, maxEntries, maxAgeMs } = cacheOption(option)
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
    maxAgeMs,
    now: deps.now,
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
    invalidate(keys) {
      for (const key of keys) cache.written(key)
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
export interface KeyMemo {
  keys(ids: readonly string[], subject: string | undefined, build: () => string[]): readonly string[]
}

export function keyMemo(max: number): KeyMemo {
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

/** Reads `redisStore({ cache })`: `undefined` = the default, `false` = off, else the bounds. */
export function cacheOption(value: unknown): {
  requested: boolean
  explicit: boolean
  maxEntries: number
  maxAgeMs: number
} {
  const defaults = { maxEntries: DEFAULT_MAX_ENTRIES, maxAgeMs: DEFAULT_MAX_AGE_MS }
  if (value === undefined || value === true) return { requested: true, explicit: value === true, ...defaults }
  if (value === false) return { requested: false, explicit: true, maxEntries: 0, maxAgeMs: 0 }
  if (!isRecord(value) || Array.isArray(value))
    throw new TypeError('tokenward: redisStore cache must be true, false or { maxEntries, maxAgeMs }')
  for (const name of Object.keys(value))
    if (name !== 'maxEntries' && name !== 'maxAgeMs')
      throw new TypeError(
        `tokenward: unknown redisStore cache option "${name}" (did you mean "${
          name.toLowerCase().includes('age') ? 'maxAgeMs' : 'maxEntries'
        }"?)`,
      )
  const bound = (name: 'maxEntries' | 'maxAgeMs') => {
    const n = value[name] ?? defaults[name]
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
      throw new TypeError(`tokenward: redisStore cache.${name} must be an integer of at least 1`)
    return n
  }
  return { requested: true, explicit: true, maxEntries: bound('maxEntries'), maxAgeMs: bound('maxAgeMs') }
}
