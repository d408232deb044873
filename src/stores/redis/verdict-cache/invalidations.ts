/**
 * The invalidation connection of redisStore's verdict cache (cache.ts): one extra
 * connection per client that asks Redis for CLIENT TRACKING … BCAST announcements of every change
 * under the store's prefixes, for node-redis and ioredis alike.
 */

/** An open invalidation connection. */
export interface Tracker {
  /** A round trip on the invalidation connection itself (it answers after every invalidation sent before it). */
  ping(): Promise<unknown>
  close(): void
}

/** Callbacks a tracker calls; `null` keys mean "everything" (FLUSHALL, FLUSHDB, an unreadable message). */
export interface TrackerEvents {
  invalidate(keys: readonly string[] | null): void
  closed(): void
}

/** Opens a tracker registered for `prefixes`; rejects when any step fails. */
export type OpenTracker = (prefixes: readonly string[], events: TrackerEvents) => Promise<Tracker>

/** How the cache reaches Redis for its own commands (the store's client, with its timeout). */
export type Send = (key: string, args: string[]) => Promise<unknown>

/** What a client offers the cache: a way to open a tracker, and whether the client itself is still open. */
export interface TrackerSource {
  open: OpenTracker
  /** The client's key prefix (ioredis `keyPrefix`): Redis names keys with it, the store without. */
  keyPrefix: string
  /** `false` once the application closed its client: the cache then stops reconnecting. */
  clientOpen(): boolean
}

/**
 * What the cache knows of one key until `expiresAt` (epoch ms): its value (and as a number, for a
 * cutoff), or `null` for no such key. A present value expires with its key or at the cache's
 * maximum age, whichever is first; an absent one at the maximum age.
 */
export interface Entry {
  value: string | null
  number: number
  expiresAt: number
}

/** One MGET in flight: when it was sent (the epoch, and the clock), and for which keys. */
export interface CacheRead {
  keys: readonly string[]
  start: number
  /** Epoch ms the read was sent at: what it returns is at most as old as that. */
  sentAt: number
}

export const decoder = new TextDecoder()
export const text = (value: unknown): string =>
  typeof value === 'string' ? value : value instanceof Uint8Array ? decoder.decode(value) : String(value)

export const INVALIDATE_CHANNEL = '__redis__:invalidate'
export const TRACKER_NAME = 'tokenward-invalidations'
/** Heartbeat period: with `timeoutMs`, the longest a silently dead connection can go unnoticed. */
export const HEARTBEAT_MS = 250
export const FIRST_RETRY_MS = 100
export const MAX_RETRY_MS = 30_000
export const DEFAULT_MAX_ENTRIES = 50_000
/**
 * The oldest answer the cache gives, ms. It bounds whatever Redis does not announce: `SWAPDB`
 * replaces a database's keys without a word to trackers (docs/redis.md).
 */
export const DEFAULT_MAX_AGE_MS = 60_000
/** Writes and deletes the probe key in one step: one invalidation, and nothing left behind. */
export const PROBE = "redis.call('SET', KEYS[1], '1') redis.call('DEL', KEYS[1]) return 1"

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

export interface EventSource {
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
export class SetupRefused extends Error {
  override name = 'SetupRefused'
}
export const refused = (err: unknown) => new SetupRefused(err instanceof Error ? err.message : String(err))
/** A connect failure is the server refusing (an error reply: `ERR …`, `NOPERM …`), or the network (retried quietly). */
export const connectFailure = (err: unknown) =>
  err instanceof Error && /^[A-Z][A-Z_]{2,} /.test(err.message) ? refused(err) : err

export const trackingArgs = (prefixes: readonly string[]) => [
  'BCAST',
  ...prefixes.flatMap((p) => ['PREFIX', p]),
]

/** node-redis: a RESP3 duplicate; invalidations arrive as pushes, emitted as 'invalidate' (one key each). */
export async function openNodeRedis(
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
export async function openIoredis(
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
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
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

export function unref(timer: unknown) {
  if (isRecord(timer) && typeof timer.unref === 'function') (timer.unref as () => void)()
}
