/**
 * The LISTEN connection of the verdict cache (./index.ts): opened after a successful read, proven
 * by a probe before it serves, kept honest by a heartbeat, and closed — the cache emptied — at the
 * first doubt. Announcements of changes go to `onChange`; probes and heartbeats
 * (`p:<this cache>:<n>`) are answered here.
 */
import type { Driver, Listener } from '../driver.js'

/** Heartbeat period: with `timeoutMs`, the longest a silently dead connection can go unnoticed. */
export const HEARTBEAT_MS = 250
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 30_000

/** Settings of one LISTEN connection. */
export interface ConnectionSettings {
  driver: Driver
  channel: string
  /** For opening, the probe and each heartbeat. */
  timeoutMs: number
  warn(message: string): void
  /** An announcement: `r:<id>`, `c:<subject>`, or `*` (everything). */
  onChange(payload: string): void
  /** Empty the cache: the connection went down, or just came up (reads before it are not covered). */
  onFlush(): void
}

/** The connection, as the cache sees it. */
export interface CacheConnection {
  /** Registered and proven: answers may be served. */
  live(): boolean
  /** After a successful read: open the connection if there is none (and the last attempt is old enough). */
  wake(): void
  /** Closes it for good. */
  release(): void
}

function unref(timer: unknown) {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function')
    timer.unref()
}

/** Settles like `work`, or rejects after `ms`; the timer never keeps a process alive. */
export function within<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
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

/** Probes: a payload sent on the channel, and a wait for it to come back. */
function prober(timeoutMs: number) {
  const self = Math.random().toString(36).slice(2)
  let sequence = 0
  const waiting = new Map<string, () => void>()
  return {
    /** True when `payload` was a probe (and it is answered). */
    arrived(payload: string): boolean {
      if (!payload.startsWith('p:')) return false
      waiting.get(payload)?.()
      return true
    },
    async probe(conn: Listener) {
      const payload = `p:${self}:${++sequence}`
      const arrived = new Promise<void>((resolve) => waiting.set(payload, resolve))
      try {
        await within(
          Promise.all([conn.send(payload), arrived]),
          timeoutMs,
          'a notification round trip on the LISTEN connection',
        )
      } finally {
        waiting.delete(payload)
      }
    },
  }
}

/** The one-time warning when the LISTEN connection opened but could not be proven. */
function setupWarning(err: unknown): string {
  return (
    'tokenward: the PostgreSQL verdict cache is off for now — its LISTEN connection could not be ' +
    `proven (${err instanceof Error ? err.message : String(err)}); every check asks PostgreSQL. ` +
    'It needs a direct connection or a session-mode pooler (LISTEN does not work through ' +
    'transaction pooling) and a primary (no LISTEN on a hot standby).'
  )
}

/** Opens a LISTEN connection within `timeoutMs`; one that opens after it timed out (`stale`) is closed at once. */
async function openListener(
  settings: ConnectionSettings,
  notify: (payload: string) => void,
  closed: () => void,
  stale: () => boolean,
): Promise<Listener> {
  const opening = settings.driver.listen(settings.channel, { notify, closed })
  opening.then(
    (late) => {
      if (stale()) late.close()
    },
    () => {},
  )
  return within(opening, settings.timeoutMs, 'opening the LISTEN connection')
}

/** Every HEARTBEAT_MS a probe on `conn`; `onFail` once one fails or is late. Returns the stop. */
function startHeartbeat(probes: ReturnType<typeof prober>, conn: Listener, onFail: () => void): () => void {
  let pinging = false
  let stopped = false
  const timer = setInterval(() => {
    if (pinging || stopped) return
    pinging = true
    probes.probe(conn).then(
      () => {
        pinging = false
      },
      () => {
        if (stopped) return
        stopped = true
        clearInterval(timer)
        onFail()
      },
    )
  }, HEARTBEAT_MS)
  unref(timer)
  return () => {
    stopped = true
    clearInterval(timer)
  }
}

/** One LISTEN connection for one cache. */
export function cacheConnection(settings: ConnectionSettings): CacheConnection {
  const probes = prober(settings.timeoutMs)
  let live = false
  let state: 'idle' | 'opening' | 'live' | 'closed' = 'idle'
  let listener: Listener | undefined
  let generation = 0
  let retryAt = 0
  let retryMs = FIRST_RETRY_MS
  let stopHeartbeat: (() => void) | undefined
  let warned = false

  const notify = (payload: string) => {
    if (!probes.arrived(payload)) settings.onChange(payload)
  }

  /** Stops serving, drops everything and the connection; a later read may open a new one. */
  const down = () => {
    live = false
    settings.onFlush()
    stopHeartbeat?.()
    stopHeartbeat = undefined
    const old = listener
    listener = undefined
    generation++
    if (state !== 'closed') state = 'idle'
    retryAt = Date.now() + retryMs
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
    old?.close()
  }

  const open = async () => {
    state = 'opening'
    const mine = ++generation
    let connected = false
    try {
      const opened = await openListener(
        settings,
        notify,
        () => {
          if (mine === generation && listener !== undefined) down()
        },
        () => mine !== generation,
      )
      if (mine !== generation) return
      listener = opened
      connected = true
      // Prove the path end to end before trusting it: a notification sent now must come back.
      await probes.probe(opened)
      if (mine !== generation) return
      // Reads sent before this moment were not covered by the LISTEN: they cache nothing.
      settings.onFlush()
      live = true
      state = 'live'
      retryMs = FIRST_RETRY_MS
      stopHeartbeat = startHeartbeat(probes, opened, () => {
        if (mine === generation) down()
      })
    } catch (err) {
      if (mine !== generation) return
      if (connected && !warned) settings.warn(setupWarning(err))
      warned ||= connected
      down()
    }
  }

  return {
    live: () => live,
    wake() {
      if (state === 'idle' && Date.now() >= retryAt) void open()
    },
    release() {
      state = 'closed'
      down()
    },
  }
}
