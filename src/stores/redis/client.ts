/**
 * The Redis client, as redisStore sees it: node-redis or ioredis, a single server or a Cluster,
 * behind one `Connection` — keyed commands (a cluster routes each by its key) and each master,
 * for the server check (./server-check.ts). Also: what to say when the client is missing or
 * wrong, and the error of a reply the store does not recognise.
 */
import { isRecord, notAClient } from '../util.js'
import type { IORedisLike, NodeRedisClusterLike, NodeRedisLike, RedisStoreOptions } from './types.js'

/** A command about `firstKey` through the store's client, with the server check and the timeout. */
export type Command = (firstKey: string, args: string[]) => Promise<unknown>

/** A command to one server (no key: the node is chosen already). */
export type NodeCommand = (args: string[]) => Promise<unknown>

/** One server the store talks to: how to send it a command, and a name for messages. */
export interface ServerNode {
  send: NodeCommand
  name: string
}

/** What the store needs from any client: keyed commands, and each master for the server check. */
export interface Connection {
  /** Sends a command about `firstKey` (a cluster routes it to that key's slot). */
  send(firstKey: string, args: string[]): Promise<unknown>
  masters(): Promise<ServerNode[]>
}

/** A reply the store does not recognise is a failure, never a success (fail closed). */
export function unexpected(what: string, reply: unknown): Error {
  return new Error(`tokenward: Redis answered ${what} with an unexpected reply (${typeof reply})`)
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
      `tokenward: redisStore \`client\` must be a node-redis or ioredis client, got ${notAClient(
        maybe.client,
        'a URL is not a client',
      )} — ${MAKE_CLIENT}`,
    )
  return options.client
}

type AnyClient = Partial<NodeRedisLike & NodeRedisClusterLike & IORedisLike> & {
  nodes?: (role: 'master') => (IORedisLike & { options?: { host?: string; port?: number } })[]
}

/** The connection of an ioredis `Redis` or `Cluster`: `call` routes by the command's keys itself. */
function ioredisConnection(client: IORedisLike, c: AnyClient): Connection {
  const send: NodeCommand = ([name, ...args]) => client.call(name!, ...args)
  if (c.isCluster !== true || typeof c.nodes !== 'function')
    return { send: (_key, args) => send(args), masters: async () => [{ send, name: 'Redis' }] }
  const nodes = c.nodes.bind(client)
  return {
    send: (_key, args) => send(args),
    async masters() {
      // A lazily connecting Cluster knows its nodes only after its first command.
      if (nodes('master').length === 0) await client.call('PING')
      return nodes('master').map((node) => ({
        send: ([name, ...args]) => node.call(name!, ...args),
        name: `Redis Cluster node ${node.options?.host ?? '?'}:${node.options?.port ?? '?'}`,
      }))
    },
  }
}

/** The connection of a node-redis cluster: sendCommand(firstKey, isReadonly, args). */
function nodeRedisClusterConnection(cluster: NodeRedisClusterLike): Connection {
  return {
    // Reads go to masters too (isReadonly false): a replica may not have seen a revocation
    // written a moment ago.
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

/** The connection of `client`, whichever kind it is; anything else is a `TypeError`. */
export function connect(client: RedisStoreOptions['client']): Connection {
  const c = client as AnyClient
  // ioredis also has a `sendCommand` (taking its own Command objects), so look for its `call` first.
  if (typeof c.call === 'function') return ioredisConnection(client as IORedisLike, c)
  if (typeof c.sendCommand === 'function' && Array.isArray(c.masters) && typeof c.nodeClient === 'function')
    return nodeRedisClusterConnection(client as NodeRedisClusterLike)
  if (typeof c.sendCommand === 'function') {
    const single = client as NodeRedisLike
    const send: NodeCommand = (args) => single.sendCommand(args)
    return { send: (_key, args) => send(args), masters: async () => [{ send, name: 'Redis' }] }
  }
  throw new TypeError(
    'tokenward: redisStore `client` must be a node-redis or ioredis client (or cluster), got an object with ' +
      'neither `sendCommand` nor `call` — pass the client itself, not a wrapper or its options',
  )
}
