/**
 * `tokenward/redis`: a `TokenStore` on Redis or Valkey, through a node-redis (v4+) or an
 * ioredis client — a single server or a Redis Cluster. Revocations, spent tokens and subject
 * cutoffs are shared by every instance of the app, so a logout on one server holds on all of them
 * at once.
 *
 * - Every key expires with the token it protects (`PXAT`); nothing is immortal.
 * - The request-path check (token id, family id, subject cutoff) is ONE command.
 * - All keys one command touches share a hash tag, so every command and script works on Cluster.
 * - Before its first answer the store checks the server: a `maxmemory-policy` other than
 *   `noeviction` could evict revocations (revoked tokens would become valid again), so the store
 *   refuses to work on it unless told otherwise; no persistence at all earns a warning.
 * - A call that fails or exceeds `timeoutMs` rejects; the core answers 503 `store_unavailable`.
 * - On a single server the answers of that check are cached in the process and kept exact by
 *   Redis (`CLIENT TRACKING`: ./tracking.ts, and the engine in ../verdict-cache/): a known answer costs no round trip.
 *
 * @packageDocumentation
 */

import { checkHit } from '../checks.js'
import { type WarnOnce, warnOnceThrough, within } from '../util.js'
import { NO_VERDICT_CACHE, sharedVerdictCache, type Verdicts } from '../verdict-cache/index.js'
import { type Command, connect, unexpected } from './client.js'
import { redisKeys } from './keys.js'
import { type RedisSettings, redisSettings } from './options.js'
import { redisRefresh } from './refresh.js'
import { redisRevocations } from './revocations.js'
import { HIT } from './scripts.js'
import { ServerCheck } from './server-check.js'
import { redisSessions } from './sessions.js'
import { trackingSource } from './tracking.js'
import type { RedisCacheStats, RedisStoreOptions, RedisTokenStore } from './types.js'

export type {
  IORedisLike,
  NodeRedisClusterLike,
  NodeRedisLike,
  RedisCacheOptions,
  RedisCacheStats,
  RedisStoreOptions,
  RedisTokenStore,
} from './types.js'

/**
 * Creates the Redis store.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { createAuth } from 'tokenward'
 * import { redisStore } from 'tokenward/redis'
 *
 * const client = createClient({ url: process.env.REDIS_URL })
 * client.on('error', (err) => console.error('redis', err))
 * await client.connect()
 * const store = redisStore({ client })
 * await store.ready() // optional: fail at startup on an evicting or unreachable Redis
 * const auth = createAuth({ secret: process.env.JWT_SECRET!, store })
 * ```
 *
 * @example
 * ```ts
 * import { Cluster } from 'ioredis'
 * import { redisStore } from 'tokenward/redis'
 *
 * const client = new Cluster([{ host: '10.0.0.1', port: 6379 }])
 * client.on('error', (err) => console.error('redis', err))
 * const store = redisStore({ client, timeoutMs: 300 })
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisTokenStore {
  const settings = redisSettings(options)
  const { timeoutMs, now } = settings
  const connection = connect(settings.client)
  const warnOnce = warnOnceThrough(settings.onWarning)
  const server = new ServerCheck(connection, settings.allowEviction, warnOnce)
  const late = () => new Error(`tokenward: Redis did not answer within ${timeoutMs} ms`)
  const command: Command = (firstKey, args) => {
    const check = server.done()
    return within(
      check ? check.then(() => connection.send(firstKey, args)) : connection.send(firstKey, args),
      timeoutMs,
      late,
    )
  }
  const keys = redisKeys(settings.prefix)
  const verdicts = verdictsOf(settings, command, warnOnce)
  let closed = false
  return {
    // Session records (sessions.ts): three keys per subject under the subject's hash tag. A save past
    // maxPerSubject revokes families in its script: Redis announces those keys to every verdict
    // cache, and this one drops them at once, as it does for its own revoke().
    ...redisSessions({
      command,
      subjectKey: keys.subject,
      revocationPrefix: (subject) => keys.of('r', '', subject),
      ended: (subject, ids) => {
        for (const id of ids) verdicts.forget('revocation', keys.of('r', id, subject))
      },
      now,
    }),
    // One EVAL per refresh (refresh.ts): revocation check, family state and session touch.
    ...redisRefresh({ command, keys, now }),
    ...redisRevocations({
      command,
      keys,
      verdicts,
      memoSize: settings.cache.on ? settings.cache.maxEntries : 0,
      now,
    }),
    ready: () => within(server.done() ?? Promise.resolve(), timeoutMs, late),
    cacheStats: (): RedisCacheStats => verdicts.stats(),
    async close() {
      if (closed) return
      closed = true
      verdicts.release()
    },
    async consume(id, expiresAt, subject) {
      const at = Math.max(expiresAt * 1000, now() + 1000)
      const k = keys.of('u', id, subject)
      const reply = await command(k, ['SET', k, '1', 'NX', 'PXAT', String(Math.ceil(at))])
      if (reply === 'OK') return true
      if (reply === null) return false
      throw unexpected('SET NX', reply)
    },
    async hit(key, windowSeconds, cost = 1) {
      checkHit(windowSeconds, cost)
      const k = keys.counter(key)
      const reply = await command(k, [
        'EVAL',
        HIT,
        '1',
        k,
        String(cost),
        String(Math.ceil(windowSeconds * 1000)),
      ])
      const count = Number(reply)
      if (!Number.isInteger(count)) throw unexpected('the counter script', reply)
      return count
    },
  }
}

/**
 * The verdict cache of one store, as `redisStore({ client, cache })` asks for it: none with
 * `cache: false`, on Redis Cluster and for clients without `duplicate()` (an explicit `cache:
 * true` or `{ … }` there earns a warning); else the one shared by the stores on this client and
 * prefix, with one bound over all its keys.
 */
function verdictsOf(settings: RedisSettings, command: Command, warnOnce: WarnOnce): Verdicts {
  const { cache, prefix, timeoutMs } = settings
  if (!cache.on) return NO_VERDICT_CACHE
  const source = trackingSource(settings.client, { prefix, timeoutMs, command })
  if (!source) {
    if (cache.explicit)
      warnOnce(
        'cache',
        'tokenward: the Redis verdict cache is off — it needs a single server through a node-redis or ' +
          'ioredis client (on Redis Cluster, keys can move to a node this process does not watch); every ' +
          'check asks Redis.',
      )
    return NO_VERDICT_CACHE
  }
  return sharedVerdictCache(settings.client, `${cache.maxEntries}:${cache.maxAgeMs}:${prefix}`, () => ({
    source,
    maxEntries: cache.maxEntries,
    bound: 'in all',
    maxAgeMs: cache.maxAgeMs,
    now: settings.now,
    timeoutMs,
    // A failed command on the store's own client empties the cache: a broken link may have lost
    // invalidations too.
    failureIsDoubt: true,
    warn: (message) => warnOnce('cache-setup', message),
  }))
}
