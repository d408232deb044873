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
 *   Redis (`CLIENT TRACKING`, see `./verdict-cache/cache.ts`): a known answer costs no round trip.
 *
 * @packageDocumentation
 */
import type { CutoffCheck } from '../types.js'
import { redisRefresh } from './refresh.js'
import { redisSessions } from './sessions.js'
import type { RedisStoreOptions, RedisTokenStore } from './types.js'
import { storeCache } from './verdict-cache/store.js'

export type {
  IORedisLike,
  NodeRedisClusterLike,
  NodeRedisLike,
  RedisStoreOptions,
  RedisTokenStore,
} from './types.js'

import {
  clientOf,
  connect,
  fnv1a,
  HIT,
  RECHECK_REFUSAL_MS,
  SET_CUTOFF,
  ServerRefusal,
  serverFacts,
  toText,
} from './connection.js'

export type { RedisCacheOptions, RedisCacheStats } from './verdict-cache/cache.js'

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
  const connection = connect(clientOf(options))
  const prefix = options.prefix ?? 'tokenward:'
  const timeoutMs = options.timeoutMs ?? 500
  // Through a closure, so a clock replaced later (a test's fake Date.now) is still the one read.
  const now = options.now ?? (() => Date.now())
  const allowEviction = options.allowEviction === true
  const onWarning = options.onWarning ?? ((message: string) => console.warn(message))
  const warned = new Set<string>()
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return
    warned.add(kind)
    try {
      onWarning(message)
    } catch {
      // A logging hook must never break the store.
    }
  }

  /** Throws when a master could evict tokenward's keys; warns when none persists anything. */
  const checkServer = async () => {
    const masters = await connection.masters()
    if (masters.length === 0)
      throw new Error('tokenward: the Redis Cluster client knows no master yet — connect() it first')
    const facts = await Promise.all(masters.map(serverFacts))
    for (let i = 0; i < masters.length; i++) {
      const { policy } = facts[i]!
      const name = masters[i]!.name
      if (policy === 'noeviction') continue
      if (allowEviction) {
        if (policy !== undefined)
          warnOnce(
            'eviction',
            `tokenward: ${name} has maxmemory-policy "${policy}" and allowEviction is set: when memory ` +
              'runs short Redis may evict revocations, and revoked tokens become valid again. ' +
              'Prefer `CONFIG SET maxmemory-policy noeviction`.',
          )
        continue
      }
      if (policy === undefined)
        throw new ServerRefusal(
          `tokenward: could not read maxmemory-policy from ${name} (neither CONFIG GET nor INFO memory ` +
            'told it), so tokenward cannot rule out that Redis evicts revocations. Make sure the policy ' +
            'is noeviction, then pass redisStore({ allowEviction: true }) to skip this check.',
        )
      throw new ServerRefusal(
        `tokenward: ${name} has maxmemory-policy "${policy}": when memory runs short Redis would evict ` +
          'revocations and spent refresh-token marks, and revoked tokens would become valid again, so ' +
          'the token store refuses to work. Fix: `CONFIG SET maxmemory-policy noeviction` (and ' +
          '`maxmemory-policy noeviction` in redis.conf), or accept the risk with ' +
          'redisStore({ allowEviction: true }).',
      )
    }
    const forgetful = masters.filter((_, i) => facts[i]!.aof === false && facts[i]!.rdb === false)
    if (forgetful.length > 0)
      warnOnce(
        'persistence',
        `tokenward: ${forgetful.map((m) => m.name).join(', ')} persists nothing (appendonly no, save ""): ` +
          'a restart forgets every revocation, spent refresh token and "log out everywhere", and revoked ' +
          'tokens become valid again until they expire. Turn on AOF: `CONFIG SET appendonly yes` with ' +
          'appendfsync everysec, and put both in redis.conf.',
      )
  }

  // The check runs once, before the first command is answered; concurrent first calls share it.
  // A good verdict holds for the life of the store; a refusal is re-checked now and then, and any
  // other failure (Redis unreachable) on the next call. With allowEviction the check only warns,
  // so a server that will not answer it (INFO disabled) is not asked again.
  let checked = false
  let pending: Promise<void> | undefined
  let refusal: { error: Error; until: number } | undefined
  const serverChecked = (): Promise<void> | undefined => {
    if (checked) return undefined
    if (refusal && Date.now() < refusal.until) return Promise.reject(refusal.error)
    pending ??= checkServer().then(
      () => {
        checked = true
        refusal = undefined
        pending = undefined
      },
      (err: unknown) => {
        pending = undefined
        if (allowEviction) {
          checked = true
          return
        }
        if (err instanceof ServerRefusal) refusal = { error: err, until: Date.now() + RECHECK_REFUSAL_MS }
        throw err
      },
    )
    return pending
  }

  /** Settles with `work`, or rejects once `timeoutMs` has passed — whichever comes first. */
  const withTimeout = <T>(work: Promise<T>): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`tokenward: Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      )
      work.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (err: unknown) => {
          clearTimeout(timer)
          reject(err instanceof Error ? err : new Error(String(err)))
        },
      )
    })

  const command = (firstKey: string, args: string[]): Promise<unknown> => {
    const check = serverChecked()
    return withTimeout(
      check ? check.then(() => connection.send(firstKey, args)) : connection.send(firstKey, args),
    )
  }
  const eval_ = (script: string, key: string, args: string[]) =>
    command(key, ['EVAL', script, '1', key, ...args])
  // The verdict cache (verdict-cache/cache.ts); a pass-through where the client cannot have one.
  const cache = storeCache(options.client, options.cache, { prefix, timeoutMs, send: command, warnOnce, now })
  /** Verdict of the MGET values: the ids' marks, then the cutoff. */
  const verdict = (values: readonly unknown[], count: number, cutoff: CutoffCheck | undefined) => {
    for (let i = 0; i < count; i++) if (values[i] !== null && values[i] !== undefined) return true
    if (cutoff === undefined) return false
    const cut = values[count]
    return cut !== null && cut !== undefined && cutoff.issuedAt <= Number(cut)
  }
  /** A reply the store does not recognise is a failure, never a success (fail closed). */
  const unexpected = (what: string, reply: unknown) =>
    new Error(`tokenward: Redis answered ${what} with an unexpected reply (${typeof reply})`)

  // `{tag}` = hash of the subject: every key of one user lands in one Cluster slot, so the one
  // multi-key command (MGET in isRevoked) never crosses slots. Each other command has one key.
  const subjectKey = (subject: string) => `${prefix}{${fnv1a(subject)}}`
  const key = (kind: string, id: string, subject?: string) =>
    `${subjectKey(subject ?? '')}:${kind}:${encodeURIComponent(subject ?? '')}:${encodeURIComponent(id)}`
  const cutoffKey = (subject: string) => `${subjectKey(subject)}:c:${encodeURIComponent(subject)}`
  const ms = (seconds: number) => String(Math.ceil(seconds * 1000))

  /** The MGET of `keys` (the cache remembers what it may), then the verdict. */
  const fetchRevoked = async (keys: readonly string[], count: number, cutoff: CutoffCheck | undefined) => {
    const values = await cache.read(keys, async () => {
      const reply = await command(keys[0]!, ['MGET', ...keys])
      if (!Array.isArray(reply) || reply.length !== keys.length) throw unexpected('MGET', reply)
      return reply as unknown[]
    })
    return verdict(values, count, cutoff)
  }

  return {
    // Session records (sessions.ts): three keys per subject under the subject's hash tag. A save past
    // maxPerSubject revokes families in its script: Redis announces those keys to every verdict
    // cache, and this one drops them at once, as it does for its own revoke().
    ...redisSessions({
      command,
      subjectKey,
      revocationPrefix: (subject) => key('r', '', subject),
      ended: (subject, ids) => cache.invalidate(ids.map((id) => key('r', id, subject))),
      now,
      unexpected,
    }),
    // One EVAL per refresh (refresh.ts): revocation check, family state and session touch.
    ...redisRefresh({ command, key, cutoffKey, subjectKey, now, unexpected }),
    ready: () => withTimeout(serverChecked() ?? Promise.resolve()),
    cacheStats: () => cache.stats(),
    async close() {
      cache.release()
    },
    async revoke(id, expiresAt, subject) {
      if (expiresAt * 1000 <= now()) return
      const k = key('r', id, subject)
      const reply = await cache.write(k, () => command(k, ['SET', k, '1', 'PXAT', ms(expiresAt)]))
      if (reply !== 'OK') throw unexpected('SET', reply)
    },
    // One MGET: the ids' revocation marks and the subject's cutoff, read atomically in one round
    // trip from one hash slot. A plain command costs Redis a fraction of a script call. When the
    // cache knows every key, no round trip at all: the answer is synchronous.
    isRevoked(ids, cutoff?: CutoffCheck) {
      const subject = cutoff?.subject
      const keys = cache.keys(ids, subject, () => {
        const built = ids.map((id) => key('r', id, subject))
        if (cutoff !== undefined) built.push(cutoffKey(cutoff.subject))
        return built
      })
      if (keys.length === 0) return false
      const known = cache.answer(keys, ids.length, cutoff?.issuedAt)
      if (known !== undefined) return known
      return fetchRevoked(keys, ids.length, cutoff)
    },
    async consume(id, expiresAt, subject) {
      const at = Math.max(expiresAt * 1000, now() + 1000)
      const k = key('u', id, subject)
      const reply = await command(k, ['SET', k, '1', 'NX', 'PXAT', String(Math.ceil(at))])
      if (reply === 'OK') return true
      if (reply === null) return false
      throw unexpected('SET NX', reply)
    },
    async setCutoff(subject, at, expiresAt) {
      const k = cutoffKey(subject)
      const reply = await cache.write(k, () => eval_(SET_CUTOFF, k, [String(at), ms(expiresAt)]))
      if (Number(reply) !== 1) throw unexpected('the cutoff script', reply)
    },
    async getCutoff(subject) {
      const k = cutoffKey(subject)
      const value = await command(k, ['GET', k])
      if (value === null || value === undefined) return null
      const at = Number(toText(value))
      if (Number.isNaN(at)) throw unexpected('GET', value)
      return at
    },
    async hit(hitKey, windowSeconds, cost = 1) {
      const reply = await eval_(HIT, `${prefix}{h:${fnv1a(hitKey)}}:h:${encodeURIComponent(hitKey)}`, [
        String(cost),
        ms(windowSeconds),
      ])
      const count = Number(reply)
      if (!Number.isInteger(count)) throw unexpected('the counter script', reply)
      return count
    },
  }
}
