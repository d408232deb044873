/**
 * postgresStore's invalidation source for the verdict cache (../verdict-cache/): triggers on the
 * `revoked` and `cutoffs` tables announce every change — insert, update, delete of a live row,
 * TRUNCATE — on the schema's channel (`r:<id>`, `c:<subject>`, or `*` for everything), whoever
 * made it: any instance, psql, a migration. One connection per store (shared by the stores on one
 * client and schema) LISTENs to it.
 *
 * PostgreSQL delivers a notification only once its transaction is visible to new snapshots, and
 * in commit order: a read sent after an announcement arrived sees the change, and a probe that
 * comes back proves that every change committed before it was sent has arrived. So the proof and
 * the heartbeat are the same thing: a notification of this cache's own (`p:<cache>:<n>`) sent on
 * the channel, which must come back within the store's timeout.
 */
import { tookTooLong, within } from '../util.js'
import type { ChangeEvents, InvalidationSource } from '../verdict-cache/index.js'
import type { Driver, Listener } from './driver.js'

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
    async probe(conn: Listener): Promise<void> {
      const payload = `p:${self}:${++sequence}`
      const arrived = new Promise<void>((resolve) => waiting.set(payload, resolve))
      try {
        await within(
          Promise.all([conn.send(payload), arrived]),
          timeoutMs,
          tookTooLong('a notification round trip on the LISTEN connection', timeoutMs),
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

/** Reads one announcement: a revocation id, a subject's cutoff, or "anything may have changed". */
function announced(payload: string, events: ChangeEvents): void {
  if (payload.startsWith('r:')) events.changed(payload.slice(2), 'revocation')
  else if (payload.startsWith('c:')) events.changed(payload.slice(2), 'cutoff')
  else events.changedAll() // '*' (TRUNCATE, a key too long), or a payload we cannot read
}

/** The LISTEN source of the store on `driver`, on `channel`. */
export function listenSource(driver: Driver, channel: string, timeoutMs: number): InvalidationSource {
  const probes = prober(timeoutMs)
  return {
    name: 'the LISTEN connection',
    usable: () => true,
    setupWarning: (err, connected) => (connected ? setupWarning(err) : undefined),
    async open(events) {
      const conn = await driver.listen(channel, {
        notify(payload) {
          if (!probes.arrived(payload)) announced(payload, events)
        },
        closed: () => events.closed(),
      })
      return {
        prove: () => probes.probe(conn),
        // Every change committed before the probe was sent has arrived once it comes back.
        heartbeat: () => probes.probe(conn),
        close: () => conn.close(),
      }
    },
  }
}
