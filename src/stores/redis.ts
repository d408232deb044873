/**
 * `tokenward/redis`: a {@link TokenStore} on Redis or Valkey, through a node-redis (v4+) or an
 * ioredis client. Revocations, spent tokens and subject cutoffs are shared by every instance of
 * the app, so a logout on one server holds on all of them at once.
 *
 * - Every key expires with the token it protects (`PXAT`); nothing is immortal.
 * - The request-path check (token id, family id, subject cutoff) is ONE script call.
 * - All keys of one subject share a hash tag, so the scripts work on Redis Cluster.
 * - A call that fails or exceeds `timeoutMs` rejects; the core answers 503 `store_unavailable`.
 *
 * @packageDocumentation
 */
import type { CutoffCheck, TokenStore } from '../stores/types.js'

/** The node-redis client shape tokenward uses (`createClient()` from `redis` v4, v5, v6). */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>
}
/** The ioredis client shape tokenward uses (`new Redis()` from `ioredis`). */
export interface IORedisLike {
  call(command: string, ...args: string[]): Promise<unknown>
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** A connected node-redis or ioredis client. The store never closes it. Attach `client.on('error', …)`. */
  client: NodeRedisLike | IORedisLike
  /** Key prefix (default `tokenward:`). */
  prefix?: string
  /** Longest wait for one call, ms (default 500); then the request fails with 503. */
  timeoutMs?: number
}

// KEYS[1] cutoff key; ARGV = at, expiresAt ms
const SET_CUTOFF = `
local cur = redis.call('GET', KEYS[1])
local at = ARGV[1]
if cur and tonumber(cur) > tonumber(at) then at = cur end
local ttl = redis.call('PEXPIRETIME', KEYS[1])
local exp = tonumber(ARGV[2])
if ttl and ttl > exp then exp = ttl end
redis.call('SET', KEYS[1], at, 'PXAT', exp)
return 1`
// KEYS[1] counter; ARGV = cost, window ms
const HIT = `
local cost = tonumber(ARGV[1])
if cost == 0 then return tonumber(redis.call('GET', KEYS[1]) or '0') end
local n = redis.call('INCRBY', KEYS[1], cost)
if n == cost then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`

/** FNV-1a, 32 bit: a short, runtime-neutral hash tag for a subject. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

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
 * const auth = createAuth({ secret: process.env.JWT_SECRET!, store: redisStore({ client }) })
 * ```
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { redisStore } from 'tokenward/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!)
 * client.on('error', (err) => console.error('redis', err))
 * const store = redisStore({ client })
 * ```
 */
export function redisStore(options: RedisStoreOptions): TokenStore {
  const { client } = options
  const prefix = options.prefix ?? 'tokenward:'
  const timeoutMs = options.timeoutMs ?? 500
  let send: (args: string[]) => Promise<unknown>
  // ioredis also has a `sendCommand` (taking its own Command objects), so look for its `call` first.
  if (typeof (client as IORedisLike).call === 'function') {
    const c = client as IORedisLike
    send = ([name, ...args]) => c.call(name!, ...args)
  } else if (typeof (client as NodeRedisLike).sendCommand === 'function') {
    const c = client as NodeRedisLike
    send = (args) => c.sendCommand(args)
  } else {
    throw new TypeError('tokenward: redisStore needs a node-redis or ioredis client')
  }

  const command = (args: string[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`tokenward: Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      )
      send(args).then(
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

  const eval_ = (script: string, keys: string[], args: string[]) =>
    command(['EVAL', script, String(keys.length), ...keys, ...args])

  // `{tag}` = hash of the subject: every key of one user lands in one Cluster slot.
  const key = (kind: string, id: string, subject?: string) =>
    `${prefix}{${fnv1a(subject ?? '')}}:${kind}:${encodeURIComponent(subject ?? '')}:${encodeURIComponent(id)}`
  const cutoffKey = (subject: string) => `${prefix}{${fnv1a(subject)}}:c:${encodeURIComponent(subject)}`
  const ms = (seconds: number) => String(Math.ceil(seconds * 1000))

  return {
    async revoke(id, expiresAt, subject) {
      if (expiresAt * 1000 <= Date.now()) return
      await command(['SET', key('r', id, subject), '1', 'PXAT', ms(expiresAt)])
    },
    // One MGET: the ids' revocation marks and the subject's cutoff, read atomically in one round
    // trip from one hash slot. A plain command costs Redis a fraction of a script call.
    async isRevoked(ids, cutoff?: CutoffCheck) {
      const subject = cutoff?.subject
      const keys = ids.map((id) => key('r', id, subject))
      if (cutoff !== undefined) keys.push(cutoffKey(cutoff.subject))
      if (keys.length === 0) return false
      const values = await command(['MGET', ...keys])
      if (!Array.isArray(values) || values.length !== keys.length)
        throw new Error('tokenward: Redis answered MGET with an unexpected reply')
      for (let i = 0; i < ids.length; i++) if (values[i] !== null && values[i] !== undefined) return true
      if (cutoff === undefined) return false
      const cut = values[ids.length]
      return cut !== null && cut !== undefined && cutoff.issuedAt <= Number(cut)
    },
    async consume(id, expiresAt, subject) {
      const at = Math.max(expiresAt * 1000, Date.now() + 1000)
      return (
        (await command(['SET', key('u', id, subject), '1', 'NX', 'PXAT', String(Math.ceil(at))])) === 'OK'
      )
    },
    async setCutoff(subject, at, expiresAt) {
      await eval_(SET_CUTOFF, [cutoffKey(subject)], [String(at), ms(expiresAt)])
    },
    async getCutoff(subject) {
      const value = await command(['GET', cutoffKey(subject)])
      return value === null || value === undefined ? null : Number(value)
    },
    async hit(hitKey, windowSeconds, cost = 1) {
      return Number(
        await eval_(
          HIT,
          [`${prefix}{h:${fnv1a(hitKey)}}:h:${encodeURIComponent(hitKey)}`],
          [String(cost), ms(windowSeconds)],
        ),
      )
    },
  }
}
