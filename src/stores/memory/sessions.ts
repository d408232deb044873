/**
 * The session records of `memoryStore()` (the optional {@link SessionStore} part of the
 * TokenStore): records by subject, then by id, each dropped once its `expiresAt` passes. A bound
 * of their own (`maxSessions`), so a flood of logins can never take the room of a revocation; a
 * full bound refuses the new record (the login fails closed) rather than forget a live one, which
 * would hide a signed-in device from "sign out other devices".
 */
import type { SessionRecord, SessionStore } from '../types.js'

/** The session part of a memory store, and what the store's sweep and bound need of it. */
export interface MemorySessions extends SessionStore {
  /** Live and not-yet-swept records. */
  readonly size: number
  /** Drops every record expired at `t` (epoch ms). */
  sweep(t: number): void
}

/**
 * Session records held in process memory, at most `max` at once.
 *
 * @example
 * ```ts
 * const sessions = memorySessions(Date.now, 20_000)
 * await sessions.saveSession(record)
 * ```
 */
export function memorySessions(now: () => number, max: number): MemorySessions {
  const bySubject = new Map<string, Map<string, SessionRecord>>()
  let size = 0
  const dead = (record: SessionRecord, t: number) => record.expiresAt * 1000 <= t

  const drop = (subject: string, records: Map<string, SessionRecord>, id: string) => {
    if (!records.delete(id)) return
    size--
    if (records.size === 0) bySubject.delete(subject)
  }
  /** The subject's live record `id` (an expired one is dropped on the way). */
  const live = (subject: string, id: string, t: number) => {
    const records = bySubject.get(subject)
    const record = records?.get(id)
    if (!records || !record) return undefined
    if (!dead(record, t)) return record
    drop(subject, records, id)
    return undefined
  }
  const sweep = (t: number) => {
    for (const [subject, records] of bySubject)
      for (const [id, record] of records) if (dead(record, t)) drop(subject, records, id)
  }
  // Copies in and out: a caller holding a record must not change what the store keeps.
  const copy = (record: SessionRecord): SessionRecord => ({ ...record })

  return {
    get size() {
      return size
    },
    sweep,
    async saveSession(record) {
      const t = now()
      if (dead(record, t)) return
      const { subject, id } = record
      if (live(subject, id, t) === undefined && size >= max) {
        sweep(t)
        if (size >= max)
          throw new Error(
            `tokenward: memoryStore has no room for another session record: ${size} live sessions ` +
              `(maxSessions = ${max}). It refuses the login rather than forget a signed-in device; ` +
              'raise maxSessions, or use a shared store such as tokenward/redis.',
          )
      }
      let records = bySubject.get(subject)
      if (!records) {
        records = new Map()
        bySubject.set(subject, records)
      }
      if (!records.has(id)) size++
      records.set(id, copy(record))
    },
    async touchSession(subject, id, lastUsedAt, expiresAt) {
      const record = live(subject, id, now())
      if (!record) return false
      record.lastUsedAt = Math.max(record.lastUsedAt, lastUsedAt)
      record.expiresAt = Math.max(record.expiresAt, expiresAt)
      return true
    },
    async listSessions(subject) {
      const records = bySubject.get(subject)
      if (!records) return []
      const t = now()
      const out: SessionRecord[] = []
      for (const [id, record] of records)
        if (dead(record, t)) drop(subject, records, id)
        else out.push(copy(record))
      return out
    },
    async deleteSession(subject, id) {
      const records = bySubject.get(subject)
      const found = live(subject, id, now()) !== undefined
      if (records) drop(subject, records, id)
      return found
    },
  }
}
