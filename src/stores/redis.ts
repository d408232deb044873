/**
 * `tokenward/redis`: a {@link TokenStore} on Redis or Valkey, through a node-redis (v4+) or an
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
 *   Redis (`CLIENT TRACKING`, see `./redis-cache.ts`): a known answer costs no round trip.
 *
 * @packageDocumentation
 */
import type { CutoffCheck, TokenStore } from '../stores/types.js'
import { type RedisCacheOptions, type RedisCacheStats, storeCache } from './redis-cache.js'
import { redisSessions } from './redis-sessions.js'

export type { RedisCacheOptions, RedisCacheStats } from './redis-cache.js'

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
   * The local verdict cache (default on where the client allows it: a single server through
   * node-redis 5+ or ioredis 5+). Answers of the revocation check are remembered in the process;
   * one extra connection (`CLIENT TRACKING … BCAST`) hears from Redis about every change to those
   * keys, from any instance, and drops them; a lost connection, a late heartbeat or any failure
   * empties the cache until the connection is back. A remembered answer costs no round trip.
   * `false` turns it off; `{ maxEntries }` bounds it (default 50 000 keys). Off on Redis Cluster.
   * See docs/redis.md, "The verdict cache".
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
// KEYS[1] counter; ARGV = cost, window ms. One script, so the increment and the count it returns
// are one atomic step: concurrent hits each get their own number (a reservation, not a guess).
// A negative cost gives back (a successful login returns its reservation): it lowers an existing
// count, never below 0, and creates nothing. The window is set when the counter is created only
// (PTTL -1: no expiry yet), so neither a give-back nor a later hit extends it.
const HIT = `
local cost = tonumber(ARGV[1])
if cost <= 0 then
  local cur = redis.call('GET', KEYS[1])
  if not cur then return 0 end
  if cost == 0 then return tonumber(cur) end
  local n = redis.call('INCRBY', KEYS[1], cost)
  if n < 0 then
    redis.call('INCRBY', KEYS[1], -n)
    n = 0
  end
  return n
end
local n = redis.call('INCRBY', KEYS[1], cost)
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`

/** A bad verdict is re-checked at most this often, so fixing the server needs no app restart. */
const RECHECK_REFUSAL_MS = 10_000

/** The server is set up so that tokenward's keys could be evicted: refused until it is fixed. */
class ServerRefusal extends Error {
  override name = 'ServerRefusal'
}

/** FNV-1a, 32 bit: a short, runtime-neutral hash tag for a subject. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

type Send = (args: string[]) => Promise<unknown>
/** One server the store talks to: how to send it a command, and a name for messages. */
interface ServerNode {
  send: Send
  name: string
}
/** What the store needs from any client: keyed commands, and each master for the server check. */
interface Connection {
  /** Sends a command about `firstKey` (a cluster routes it to that key's slot). */
  send(firstKey: string, args: string[]): Promise<unknown>
  masters(): Promise<ServerNode[]>
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return String(value)
}

const MAKE_CLIENT =
  "const client = createClient({ url }) from 'redis' (then await client.connect()), or new Redis(url) from 'ioredis'"

/** `options.client`, or an error that says what to pass instead. */
function clientOf(options: RedisStoreOptions): RedisStoreOptions['client'] {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`tokenward: redisStore needs options: redisStore({ client }), with ${MAKE_CLIENT}`)
  const maybe = options as { client?: unknown; call?: unknown; sendCommand?: unknown }
  if (
    maybe.client === undefined &&
    (typeof maybe.call === 'function' || typeof maybe.sendCommand === 'function')
  )
    throw new TypeError(
      'tokenward: pass the Redis client as an option: redisStore({ client }), not redisStore(client)',
    )
  if (typeof maybe.client !== 'object' || maybe.client === null)
    throw new TypeError(
      `tokenward: redisStore \`client\` must be a node-redis or ioredis client, got ${
        typeof maybe.client === 'string'
          ? `the string '${maybe.client}' (a URL is not a client)`
          : String(maybe.client)
      } — ${MAKE_CLIENT}`,
    )
  return options.client
}

function connect(client: RedisStoreOptions['client']): Connection {
  const c = client as Partial<NodeRedisLike & NodeRedisClusterLike & IORedisLike> & {
    nodes?: (role: 'master') => (IORedisLike & { options?: { host?: string; port?: number } })[]
  }
  // ioredis also has a `sendCommand` (taking its own Command objects), so look for its `call` first.
  if (typeof c.call === 'function') {
    const io = client as IORedisLike
    const send = ([name, ...args]: string[]) => io.call(name!, ...args)
    if (c.isCluster === true && typeof c.nodes === 'function') {
      const nodes = c.nodes.bind(client)
      return {
        send: (_key, args) => send(args),
        async masters() {
          // A lazily connecting Cluster knows its nodes only after its first command.
          if (nodes('master').length === 0) await io.call('PING')
          return nodes('master').map((node) => ({
            send: ([name, ...args]) => node.call(name!, ...args),
            name: `Redis Cluster node ${node.options?.host ?? '?'}:${node.options?.port ?? '?'}`,
          }))
        },
      }
    }
    return { send: (_key, args) => send(args), masters: async () => [{ send, name: 'Redis' }] }
  }
  if (typeof c.sendCommand === 'function' && Array.isArray(c.masters) && typeof c.nodeClient === 'function') {
    // node-redis cluster: sendCommand(firstKey, isReadonly, args). Reads go to masters too
    // (isReadonly false): a replica may not have seen a revocation written a moment ago.
    const cluster = client as NodeRedisClusterLike
    return {
      send: (key, args) => cluster.sendCommand(key, false, args),
      async masters() {
        return Promise.all(
          cluster.masters.map(async (master) => {
            const node = await cluster.nodeClient(master as never)
            const address = isRecord(master) ? `${master.host}:${master.port}` : '?'
            return { send: (args: string[]) => node.sendCommand(args), name: `Redis Cluster node ${address}` }
          }),
        )
      },
    }
  }
  if (typeof c.sendCommand === 'function') {
    const single = client as NodeRedisLike
    const send = (args: string[]) => single.sendCommand(args)
    return { send: (_key, args) => send(args), masters: async () => [{ send, name: 'Redis' }] }
  }
  throw new TypeError(
    'tokenward: redisStore `client` must be a node-redis or ioredis client (or cluster), got an object with ' +
      'neither `sendCommand` nor `call` — pass the client itself, not a wrapper or its options',
  )
}

/** `CONFIG GET name` → the value, or `undefined` when the reply has no such entry. */
function configValue(reply: unknown, name: string): string | undefined {
  // RESP2 answers a flat [name, value] array; RESP3 a map (node-redis gives an object or a Map).
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (toText(reply[i]) === name) return toText(reply[i + 1])
    return undefined
  }
  if (reply instanceof Map) return reply.has(name) ? toText(reply.get(name)) : undefined
  if (isRecord(reply) && name in reply) return toText(reply[name])
  return undefined
}

/** One `field:value` line of an INFO reply. */
function infoField(reply: unknown, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(toText(reply))
  return match?.[1]?.trim()
}

/** What the server check learns about one master; `undefined` where the server would not say. */
interface ServerFacts {
  policy: string | undefined
  aof: boolean | undefined
  rdb: boolean | undefined
}

async function serverFacts(node: ServerNode): Promise<ServerFacts> {
  // Managed Redis (ElastiCache, Memorystore, …) often disables CONFIG; INFO still tells the policy.
  let policy: string | undefined
  let rdb: boolean | undefined
  try {
    policy = configValue(await node.send(['CONFIG', 'GET', 'maxmemory-policy']), 'maxmemory-policy')
    const save = configValue(await node.send(['CONFIG', 'GET', 'save']), 'save')
    if (save !== undefined) rdb = save.trim() !== ''
  } catch {
    // CONFIG refused: INFO below.
  }
  if (policy === undefined) policy = infoField(await node.send(['INFO', 'memory']), 'maxmemory_policy')
  const aof = infoField(await node.send(['INFO', 'persistence']), 'aof_enabled')
  return { policy, rdb, aof: aof === undefined ? undefined : aof === '1' }
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
  // The verdict cache (redis-cache.ts); a pass-through where the client cannot have one.
  const cache = storeCache(options.client, options.cache, { prefix, timeoutMs, send: command, warnOnce })
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
  const key = (kind: string, id: string, subject?: string) =>
    `${prefix}{${fnv1a(subject ?? '')}}:${kind}:${encodeURIComponent(subject ?? '')}:${encodeURIComponent(id)}`
  const cutoffKey = (subject: string) => `${prefix}{${fnv1a(subject)}}:c:${encodeURIComponent(subject)}`
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
    // Session records (redis-sessions.ts): two keys per subject under the subject's hash tag.
    ...redisSessions({ command, subjectKey: (subject) => `${prefix}{${fnv1a(subject)}}`, unexpected }),
    ready: () => withTimeout(serverChecked() ?? Promise.resolve()),
    cacheStats: () => cache.stats(),
    async close() {
      cache.release()
    },
    async revoke(id, expiresAt, subject) {
      if (expiresAt * 1000 <= Date.now()) return
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
      const at = Math.max(expiresAt * 1000, Date.now() + 1000)
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
