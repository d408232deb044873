/**
 * redisStore's invalidation source for the verdict cache (../verdict-cache/): one extra
 * connection per client and prefix that runs `CLIENT TRACKING ON BCAST PREFIX <prefix>{0 …
 * PREFIX <prefix>{f`. Redis then names every key under those prefixes that changes — written,
 * deleted, expired, evicted, flushed — to this connection, whoever changed it. That covers every
 * key the check reads (`r` marks and `c` cutoffs: their hash tags are hex) and leaves out the
 * rate-limit counters (`{h:…}`). node-redis receives the invalidations as RESP3 pushes; ioredis,
 * which drops those pushes, on a RESP2 connection that redirects them to itself and subscribes
 * to `__redis__:invalidate`. A cluster gets no cache: tracking is per node, and keys can move to
 * a node this process does not watch without any signal.
 */

import { isRecord, tookTooLong, toText, within } from '../util.js'
import type { ChangeEvents, InvalidationSource } from '../verdict-cache/index.js'
import type { Command } from './client.js'
import { PROBE } from './scripts.js'

const INVALIDATE_CHANNEL = '__redis__:invalidate'
/** The name of the connection in `CLIENT LIST`. */
const TRACKER_NAME = 'tokenward-invalidations'

/** An open tracking connection: a round trip on it, and its end. */
interface Tracker {
  /** A round trip on the tracking connection itself (it answers after every invalidation sent before it). */
  ping(): Promise<unknown>
  close(): void
}

/** What a tracking connection reports: keys as Redis names them (`null`: everything), and its loss. */
interface Heard {
  invalidate(keys: readonly string[] | null): void
  closed(): void
}

/** How to open a tracking connection on one client, and whether that client is still open. */
interface Opener {
  open(prefixes: readonly string[], heard: Heard): Promise<Tracker>
  /** The client's key prefix (ioredis `keyPrefix`): Redis names keys with it, the store without. */
  keyPrefix: string
  /** `false` once the application closed its client. */
  clientOpen(): boolean
}

interface Subscriber {
  connect(): Promise<unknown>
  on(event: string, listener: (...args: unknown[]) => void): unknown
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

/**
 * Connects `sub` and runs `setup` on it. It is closed — `end` called, `heard.closed()` told, once —
 * on any of `endEvents` or when a step fails (the failure rejects).
 */
async function register(
  sub: Subscriber,
  endEvents: readonly string[],
  end: () => void,
  setup: () => Promise<void>,
  heard: Heard,
): Promise<() => void> {
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    try {
      end()
    } catch {
      // Already gone.
    }
    heard.closed()
  }
  for (const event of endEvents) sub.on(event, close)
  try {
    await sub.connect()
  } catch (err) {
    close()
    throw connectFailure(err)
  }
  try {
    await setup()
  } catch (err) {
    close()
    throw refused(err)
  }
  return close
}

/** node-redis: a RESP3 duplicate; invalidations arrive as pushes, emitted as 'invalidate' (one key each). */
async function openNodeRedis(
  client: { duplicate(options: object): unknown },
  options: Record<string, unknown>,
  prefixes: readonly string[],
  heard: Heard,
): Promise<Tracker> {
  const socket = isRecord(options.socket) ? options.socket : {}
  // No reconnects: a new connection is a new registration, made by the cache after a flush.
  const sub = client.duplicate({
    RESP: 3,
    emitInvalidate: true,
    clientSideCache: undefined,
    socket: { ...socket, reconnectStrategy: false },
  }) as Subscriber & { sendCommand(args: string[]): Promise<unknown>; destroy(): void }
  sub.on('invalidate', (key) => heard.invalidate(key === null || key === undefined ? null : [toText(key)]))
  const close = await register(
    sub,
    ['error', 'end'],
    () => sub.destroy(),
    async () => {
      await sub.sendCommand(['CLIENT', 'SETNAME', TRACKER_NAME])
      // emitInvalidate switched on default-mode tracking; BCAST needs it off first.
      await sub.sendCommand(['CLIENT', 'TRACKING', 'OFF'])
      await sub.sendCommand(['CLIENT', 'TRACKING', 'ON', ...trackingArgs(prefixes)])
    },
    heard,
  )
  return { ping: () => sub.sendCommand(['PING']), close }
}

/**
 * ioredis: it drops RESP3 invalidation pushes, so a RESP2 duplicate redirects its own
 * invalidations to itself and subscribes to `__redis__:invalidate`.
 */
async function openIoredis(
  client: { duplicate(options: object): unknown },
  prefixes: readonly string[],
  heard: Heard,
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
  }) as Subscriber & {
    call(command: string, ...args: string[]): Promise<unknown>
    subscribe(channel: string): Promise<unknown>
    ping(): Promise<unknown>
    disconnect(): void
  }
  sub.on('messageBuffer', (channel, message) => {
    if (toText(channel) !== INVALIDATE_CHANNEL) return
    heard.invalidate(Array.isArray(message) ? message.map(toText) : null)
  })
  const close = await register(
    sub,
    ['error', 'close', 'end'],
    () => sub.disconnect(),
    async () => {
      await sub.call('CLIENT', 'SETNAME', TRACKER_NAME)
      const id = await sub.call('CLIENT', 'ID')
      await sub.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', toText(id), ...trackingArgs(prefixes))
      await sub.subscribe(INVALIDATE_CHANNEL)
    },
    heard,
  )
  return { ping: () => sub.ping(), close }
}

/** How to open a tracking connection on `client`, or `undefined` when it cannot have one (a cluster, no `duplicate()`). */
function openerOf(client: unknown): Opener | undefined {
  if (!isRecord(client) || typeof client.duplicate !== 'function' || typeof client.on !== 'function')
    return undefined
  const c = client as Record<string, unknown> & { duplicate(options: object): unknown }
  const options = isRecord(c.options) ? c.options : {}
  if (typeof c.call === 'function') {
    if (c.isCluster === true) return undefined
    return {
      open: (prefixes, heard) => openIoredis(c, prefixes, heard),
      keyPrefix: typeof options.keyPrefix === 'string' ? options.keyPrefix : '',
      clientOpen: () => c.status !== 'end',
    }
  }
  if (typeof c.sendCommand === 'function' && !('masters' in c))
    return {
      open: (prefixes, heard) => openNodeRedis(c, options, prefixes, heard),
      keyPrefix: '',
      clientOpen: () => c.isOpen !== false,
    }
  return undefined
}

/** The one-time warning when the tracking connection could not be set up. */
function setupWarning(err: unknown): string {
  return (
    'tokenward: the Redis verdict cache is off for now — the invalidation connection could not be ' +
    `set up (${err instanceof Error ? err.message : String(err)}); every check asks Redis. It needs ` +
    'Redis 6+ with CLIENT TRACKING (not disabled or forbidden by ACL), node-redis 5+ or ioredis 5+.'
  )
}

/** Settings of the source: the store's prefix, timeout and command (for the probe). */
export interface TrackingSettings {
  prefix: string
  timeoutMs: number
  command: Command
}

/**
 * The invalidation source of `client`, or `undefined` when it cannot have one: a cluster, or a
 * client without `duplicate()`.
 */
export function trackingSource(client: unknown, settings: TrackingSettings): InvalidationSource | undefined {
  const opener = openerOf(client)
  if (!opener) return undefined
  const { keyPrefix } = opener
  // Every key the check reads has a hex hash tag after the prefix: `prefix{3f…}:r:…`, `prefix{…}:c:…`.
  const prefixes = Array.from('0123456789abcdef', (h) => `${keyPrefix}${settings.prefix}{${h}`)
  return {
    name: 'the Redis invalidation connection',
    usable: opener.clientOpen,
    setupWarning: (err, connected) =>
      connected || err instanceof SetupRefused ? setupWarning(err) : undefined,
    async open(events: ChangeEvents) {
      let probe: { key: string; arrived: () => void } | undefined
      const tracker = await opener.open(prefixes, {
        invalidate(keys) {
          if (keys === null) return events.changedAll()
          for (const raw of keys) {
            const key = keyPrefix && raw.startsWith(keyPrefix) ? raw.slice(keyPrefix.length) : raw
            if (probe !== undefined && key === probe.key) probe.arrived()
            else events.changed(key)
          }
        },
        closed: () => events.closed(),
      })
      return {
        // A key written (and deleted) now under a tracked prefix must come back as an invalidation.
        async prove() {
          const key = `${settings.prefix}{0}:probe:${Math.random().toString(36).slice(2)}`
          const arrived = new Promise<void>((resolve) => {
            probe = { key, arrived: resolve }
          })
          try {
            await settings.command(key, ['EVAL', PROBE, '1', key])
            await within(
              arrived,
              settings.timeoutMs,
              tookTooLong('the invalidation probe', settings.timeoutMs),
            )
          } finally {
            probe = undefined
          }
        },
        heartbeat: () => tracker.ping(),
        close: () => tracker.close(),
      }
    },
  }
}
