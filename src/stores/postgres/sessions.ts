/**
 * The session records of `postgresStore()` (the {@link SessionStore} part of the TokenStore), in
 * the `sessions` table: one row per session, primary key (subject, id), an index for "newest
 * login first". Each method is one statement; a capped save is one call of the schema's
 * `save_session` function, which serialises the saves of one subject and ends the oldest records
 * past the cap (revocation first, then the record) in the same transaction.
 */
import { checkMaxPerSubject, checkPageLimit } from '../checks.js'
import type { SessionPage, SessionRecord, SessionStore } from '../types.js'
import { finite } from './options.js'
import type { Statements } from './statements.js'

/** What the session methods need of the store around them (./index.ts). */
export interface SessionDeps {
  sql: Statements
  /** Runs one statement (with the store's schema check and timeout); rows as arrays. */
  run(text: string, values: readonly unknown[]): Promise<unknown[][]>
  /** Now, epoch seconds. */
  now(): number
  /** The error for a row the store does not recognise (fail closed). */
  unexpected(what: string, value: unknown): Error
  /** Families a capped save ended (revoked): the verdict cache drops what it knew of them. */
  ended(ids: readonly string[]): void
}

const text = (value: unknown) => (value === null || value === undefined ? null : String(value))

/** A session row ([id, created_at, last_used_at, expires_at, user_agent, address]) as a record. */
function sessionRecord(
  subject: string,
  row: unknown[],
  unexpected: SessionDeps['unexpected'],
): SessionRecord {
  const record: SessionRecord = {
    id: String(row[0]),
    subject,
    createdAt: Number(row[1]),
    lastUsedAt: Number(row[2]),
    expiresAt: Number(row[3]),
    userAgent: text(row[4]),
    address: text(row[5]),
  }
  if (![record.createdAt, record.lastUsedAt, record.expiresAt].every(Number.isFinite))
    throw unexpected('a session row', row)
  return record
}

/** The values of `save_session` for `record`, or `undefined` for a record already expired (nothing kept). */
function saveValues(record: SessionRecord, cap: number | undefined, at: number): unknown[] | undefined {
  for (const name of ['createdAt', 'lastUsedAt', 'expiresAt'] as const) finite(record[name], name)
  checkMaxPerSubject(cap)
  if (record.expiresAt <= at) return undefined
  const { subject, id, createdAt, lastUsedAt, expiresAt, userAgent, address } = record
  return [subject, id, createdAt, lastUsedAt, expiresAt, userAgent, address, at, cap ?? null]
}

/**
 * The session methods over `deps`.
 *
 * @example
 * ```ts
 * const sessions = postgresSessions({ sql, run, now, unexpected, ended: () => {} })
 * await sessions.listSessions('u1', { limit: 20 })
 * ```
 */
export function postgresSessions({ sql, run, now, unexpected, ended }: SessionDeps) {
  const recordOf = (subject: string, row: unknown[]) => sessionRecord(subject, row, unexpected)

  const methods: Required<SessionStore> = {
    async saveSession(record, options) {
      const cap = options?.maxPerSubject
      const values = saveValues(record, cap, now())
      if (values === undefined) return cap === undefined ? undefined : []
      const rows = await run(sql.saveSession, values)
      if (cap === undefined) return undefined
      // The trigger announces each revocation to every cache; this one drops them at once too.
      const ids = rows.map((row) => String(row[0]))
      ended(ids)
      return ids
    },
    async touchSession(subject, id, lastUsedAt, expiresAt) {
      const rows = await run(sql.touchSession, [
        subject,
        id,
        finite(lastUsedAt, 'lastUsedAt'),
        finite(expiresAt, 'expiresAt'),
        now(),
      ])
      return rows.length > 0
    },
    async listSessions(subject, page?: SessionPage) {
      if (page === undefined)
        return (await run(sql.listSessions, [subject, now()])).map((r) => recordOf(subject, r))
      const { limit, after } = page
      checkPageLimit(limit)
      const rows =
        after === undefined
          ? await run(sql.firstPage, [subject, now(), limit])
          : await run(sql.nextPage, [
              subject,
              now(),
              limit,
              finite(after.createdAt, 'after.createdAt'),
              after.id,
            ])
      return rows.map((r) => recordOf(subject, r))
    },
    async deleteSession(subject, id) {
      const rows = await run(sql.deleteSession, [subject, id, now()])
      return rows.length > 0 && Number(rows[0]![0]) === 1
    },
    async getSession(subject, id) {
      const rows = await run(sql.getSession, [subject, id, now()])
      return rows.length === 0 ? null : recordOf(subject, rows[0]!)
    },
    async deleteSessions(subject) {
      await run(sql.deleteSessions, [subject])
    },
  }
  return methods
}
