/**
 * The session records of `memoryStore()` (the optional {@link SessionStore} part of the
 * TokenStore): records by subject, then by id — `getSession` and ownership checks are one lookup —
 * each dropped once its `expiresAt` passes. A bound of their own (`maxSessions`), so a flood of
 * logins can never take the room of a revocation; a full bound refuses the new record (the login
 * fails closed) rather than forget a live one, which would hide a signed-in device from "sign out
 * other devices". Per subject, `maxPerSubject` ends the oldest sessions at save: each family is
 * revoked (in the security group) before its record goes, in the same synchronous step. Paging and
 * the cap scan a subject's records, which the cap bounds.
 */

import { checkMaxPerSubject, checkPageLimit } from '../checks.js'
import type { SaveSessionOptions, SessionPage, SessionRecord, SessionStore } from '../types.js'
import type { SecurityEntries } from './security.js'

/** The session part of a memory store, and what the store's sweep and spendRefresh need of it. */
export interface MemorySessions extends Required<SessionStore> {
  /** Live and not-yet-swept records. */
  readonly size: number
  /** Drops every record expired at `t` (epoch ms). */
  sweep(t: number): void
  /** `touchSession` in one synchronous step (for `spendRefresh`). */
  touch(subject: string, id: string, lastUsedAt: number, expiresAt: number, t: number): boolean
}

type Records = Map<string, SessionRecord>

const dead = (record: SessionRecord, t: number) => record.expiresAt * 1000 <= t
// Copies in and out: a caller holding a record must not change what the store keeps.
const copy = (record: SessionRecord): SessionRecord => ({ ...record })
type Place = { createdAt: number; id: string }
const byId = (a: Place, b: Place) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
/** Newest login first: `createdAt` descending, then `id` ascending (SessionPage). */
const newestFirst = (a: Place, b: Place) => b.createdAt - a.createdAt || byId(a, b)
/** Oldest login first, as the cap ends them: `createdAt` ascending, then `id` ascending. */
const oldestFirst = (a: Place, b: Place) => a.createdAt - b.createdAt || byId(a, b)

/**
 * Session records held in process memory, at most `max` at once; revocations of ended sessions go
 * to `security`.
 *
 * @example
 * ```ts
 * const sessions = memorySessions(Date.now, 20_000, securityEntries(80_000))
 * await sessions.saveSession(record, { maxPerSubject: 100 })
 * ```
 */
export function memorySessions(now: () => number, max: number, security: SecurityEntries): MemorySessions {
  const held = heldRecords()
  const { bySubject, live, liveOf, drop, sweep } = held
  const touch = (subject: string, id: string, lastUsedAt: number, expiresAt: number, t: number) => {
    const record = live(subject, id, t)
    if (!record) return false
    record.lastUsedAt = Math.max(record.lastUsedAt, lastUsedAt)
    record.expiresAt = Math.max(record.expiresAt, expiresAt)
    return true
  }
  return {
    get size() {
      return held.size()
    },
    sweep,
    touch,
    async saveSession(record, options) {
      return saveRecord({ ...held, security, max }, record, options, now())
    },
    async touchSession(subject, id, lastUsedAt, expiresAt) {
      return touch(subject, id, lastUsedAt, expiresAt, now())
    },
    async listSessions(subject, page?: SessionPage) {
      if (page !== undefined) checkPageLimit(page.limit)
      const records = liveOf(subject, now())
      return page === undefined ? records.map(copy) : pageOf(records, page)
    },
    async getSession(subject, id) {
      const record = live(subject, id, now())
      return record ? copy(record) : null
    },
    async deleteSession(subject, id) {
      const records = bySubject.get(subject)
      const found = live(subject, id, now()) !== undefined
      if (records) drop(subject, records, id)
      return found
    },
    async deleteSessions(subject) {
      held.forget(subject)
    },
  }
}

/** The records held, by subject then id, and their count. */
function heldRecords() {
  const bySubject = new Map<string, Records>()
  let size = 0
  const drop = (subject: string, records: Records, id: string) => {
    if (!records.delete(id)) return
    size--
    if (records.size === 0) bySubject.delete(subject)
  }
  return {
    bySubject,
    size: () => size,
    added: () => {
      size++
    },
    drop,
    /** The subject's live record `id` (an expired one is dropped on the way). */
    live(subject: string, id: string, t: number) {
      const records = bySubject.get(subject)
      const record = records?.get(id)
      if (!records || !record) return undefined
      if (!dead(record, t)) return record
      drop(subject, records, id)
      return undefined
    },
    /** The subject's live records (expired ones dropped on the way). */
    liveOf(subject: string, t: number): SessionRecord[] {
      const records = bySubject.get(subject)
      if (!records) return []
      const out: SessionRecord[] = []
      for (const [id, record] of records)
        if (dead(record, t)) drop(subject, records, id)
        else out.push(record)
      return out
    },
    sweep(t: number) {
      for (const [subject, records] of bySubject)
        for (const [id, record] of records) if (dead(record, t)) drop(subject, records, id)
    },
    forget(subject: string) {
      size -= bySubject.get(subject)?.size ?? 0
      bySubject.delete(subject)
    },
  }
}

/** A page: newest first, strictly after `page.after`, at most `page.limit` (copies). */
function pageOf(records: SessionRecord[], { after, limit }: SessionPage): SessionRecord[] {
  const sorted = records.sort(newestFirst)
  const start = after === undefined ? 0 : sorted.findIndex((r) => newestFirst(after, r) < 0)
  return start < 0 ? [] : sorted.slice(start, start + limit).map(copy)
}

/** What {@link saveRecord} needs: the records held, the security group, the bound. */
type SaveContext = ReturnType<typeof heldRecords> & { security: SecurityEntries; max: number }

/**
 * `saveSession` at `t`, synchronous, so the cap is one atomic step: every check (room for the
 * revocations, room for the record) before any change, so a refusal changes nothing.
 */
function saveRecord(
  ctx: SaveContext,
  record: SessionRecord,
  options: SaveSessionOptions | undefined,
  t: number,
): string[] {
  if (dead(record, t)) return []
  const { subject, id } = record
  const replacing = ctx.live(subject, id, t) !== undefined
  const cap = options?.maxPerSubject
  checkMaxPerSubject(cap)
  const ending = cap === undefined || replacing ? [] : oldest(ctx.liveOf(subject, t), cap - 1)
  const ids = ending.map((r) => r.id)
  // A revocation first, never just a forgotten record: no room for them → the save fails.
  ctx.security.room(t, ctx.security.newRevocations(ids, t))
  if (!replacing && ctx.size() - ending.length >= ctx.max) {
    ctx.sweep(t)
    if (ctx.size() - ending.length >= ctx.max)
      throw new Error(
        `tokenward: memoryStore has no room for another session record: ${ctx.size()} live sessions ` +
          `(maxSessions = ${ctx.max}). It refuses the login rather than forget a signed-in device; ` +
          'raise maxSessions, or use a shared store such as tokenward/redis.',
      )
  }
  let records = ctx.bySubject.get(subject)
  for (const ended of ending) {
    ctx.security.putRevocation(ended.id, ended.expiresAt * 1000, t)
    if (records) ctx.drop(subject, records, ended.id)
  }
  records = ctx.bySubject.get(subject)
  if (!records) {
    records = new Map()
    ctx.bySubject.set(subject, records)
  }
  if (!records.has(id)) ctx.added()
  records.set(id, copy(record))
  return ids
}

/** The records to end so that at most `keep` stay: the oldest (`createdAt`, then `id`, ascending). */
function oldest(records: SessionRecord[], keep: number): SessionRecord[] {
  if (records.length <= keep) return []
  return records.sort(oldestFirst).slice(0, records.length - keep)
}
