/** The client shapes and options of tokenward/redis (re-exported by index.ts). */
import type { TokenStore } from '../types.js'

/** The node-redis client shape tokenward uses (`createClient()` from `redis` v4, v5, v6). */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>
}
/**
 * The node-redis cluster shape tokenward uses (`createCluster()` from `redis` v4, v5, v6). Its
 * `sendCommand` routes by the key it is given first, so the store passes each command's key.
 *
 * @example
 * ```ts
 * import { createCluster } from 'redis'
 * import { redisStore } from 'tokenward/redis'
 *
 * const cluster = createCluster({ rootNodes: [{ url: 'redis://10.0.0.1:6379' }] })
 * await cluster.connect()
 * const store = redisStore({ client: cluster })
 * ```
 */
export interface NodeRedisClusterLike {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>
  /** The cluster's masters (the store checks each one's eviction policy and persistence). */
  readonly masters: readonly unknown[]
  /** A client connected to one node of {@link NodeRedisClusterLike.masters}. */
  nodeClient(node: never): Promise<NodeRedisLike>
}
/**
 * The ioredis client shape tokenward uses (`new Redis()` or `new Cluster()` from `ioredis`). ioredis
 * routes `call` by the command's keys on a cluster; `nodes('master')` lets the store check each master.
 */
export interface IORedisLike {
  call(command: string, ...args: string[]): Promise<unknown>
  /** `true` on an ioredis `Cluster`. */
  readonly isCluster?: boolean
}

/** Options of the verdict cache: `redisStore({ client, cache: { maxEntries, maxAgeMs } })`. */
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

/**
 * Options of {@link redisStore}.
 *
 * @example
 * ```ts
 * const store = redisStore({
 *   client,
 *   prefix: 'myapp:auth:',
 *   timeoutMs: 300,
 *   onWarning: (message) => logger.warn(message),
 * })
 * ```
 */
export interface RedisStoreOptions {
  /**
   * A connected node-redis or ioredis client — `createClient()`, `createCluster()`, `new Redis()` or
   * `new Cluster()`. The store never closes it. Attach `client.on('error', …)`.
   */
  client: NodeRedisLike | NodeRedisClusterLike | IORedisLike
  /** Key prefix (default `tokenward:`). */
  prefix?: string
  /** Longest wait for one call, ms (default 500), the first call's server check included; then the request fails with 503. */
  timeoutMs?: number
  /**
   * Work on a server whose `maxmemory-policy` is not `noeviction` (default `false`: every call
   * rejects there). Under any `allkeys-*` or `volatile-*` policy Redis may evict a revocation or a
   * spent refresh-token mark when memory runs short — and every tokenward key has a TTL, so under
   * `volatile-*` they are the first to go — which makes revoked tokens valid again. Set it only
   * when this Redis never fills up, or when you accept that risk; tokenward then warns once
   * through `onWarning`. It also skips the check where the policy cannot be read at all.
   */
  allowEviction?: boolean
  /**
   * Receives one-time warnings about the server (default `console.warn`): no persistence (neither
   * AOF nor RDB — a restart forgets every revocation) or an evicting policy allowed by
   * `allowEviction`. Each is given once per store.
   */
  onWarning?: (message: string) => void
  /**
   * The store's clock in epoch ms (default `Date.now`): what it tells Redis is "now" — for session
   * records, refresh spends and expiries it computes — and the age of verdict-cache answers. Tests
   * inject one; Redis itself still expires keys by its own clock.
   */
  now?: () => number
  /**
   * The local verdict cache (default on where the client allows it: a single server through
   * node-redis 5+ or ioredis 5+). Answers of the revocation check are remembered in the process;
   * one extra connection (`CLIENT TRACKING … BCAST`) hears from Redis about every change to those
   * keys, from any instance, and drops them; a lost connection, a late heartbeat or any failure
   * empties the cache until the connection is back. A remembered answer costs no round trip.
   * `false` turns it off; `{ maxEntries, maxAgeMs }` bounds it (default 50 000 keys, each answer
   * at most 60 s old: the bound on a change Redis never announces, such as `SWAPDB`). Off on Redis
   * Cluster. See docs/redis.md, "The verdict cache".
   */
  cache?: boolean | RedisCacheOptions
}

/**
 * The store {@link redisStore} returns: a {@link TokenStore} that can be checked at startup.
 *
 * @example
 * ```ts
 * const store = redisStore({ client })
 * await store.ready() // rejects on maxmemory-policy allkeys-lru, an unreachable server, …
 * ```
 */
export interface RedisTokenStore extends TokenStore {
  /**
   * Checks the server now (eviction policy, persistence) instead of on the first request, and
   * rejects with the same error every call would. Await it at startup to fail fast.
   */
  ready(): Promise<void>
  /** What the verdict cache is doing: live or not, entries, hits, misses, invalidations, flushes. */
  cacheStats(): RedisCacheStats
}
