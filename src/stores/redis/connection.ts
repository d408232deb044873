import type { IORedisLike, NodeRedisClusterLike, NodeRedisLike, RedisStoreOptions } from './types.js'

// KEYS[1] cutoff key; ARGV = at, expiresAt ms
export const SET_CUTOFF = `
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
export const HIT = `
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
export const RECHECK_REFUSAL_MS = 10_000

/** The server is set up so that tokenward's keys could be evicted: refused until it is fixed. */
export class ServerRefusal extends Error {
  override name = 'ServerRefusal'
}

/** FNV-1a, 32 bit: a short, runtime-neutral hash tag for a subject. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

export type Send = (args: string[]) => Promise<unknown>
/** One server the store talks to: how to send it a command, and a name for messages. */
export interface ServerNode {
  send: Send
  name: string
}
/** What the store needs from any client: keyed commands, and each master for the server check. */
export interface Connection {
  /** Sends a command about `firstKey` (a cluster routes it to that key's slot). */
  send(firstKey: string, args: string[]): Promise<unknown>
  masters(): Promise<ServerNode[]>
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

export function toText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return String(value)
}

export const MAKE_CLIENT =
  "const client = createClient({ url }) from 'redis' (then await client.connect()), or new Redis(url) from 'ioredis'"

/** `options.client`, or an error that says what to pass instead. */
export function clientOf(options: RedisStoreOptions): RedisStoreOptions['client'] {
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

export function connect(client: RedisStoreOptions['client']): Connection {
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
export function configValue(reply: unknown, name: string): string | undefined {
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
export function infoField(reply: unknown, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(toText(reply))
  return match?.[1]?.trim()
}

/** What the server check learns about one master; `undefined` where the server would not say. */
export interface ServerFacts {
  policy: string | undefined
  aof: boolean | undefined
  rdb: boolean | undefined
}

export async function serverFacts(node: ServerNode): Promise<ServerFacts> {
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
