/**
 * The session records of `redisStore()` (the optional {@link SessionStore} part of the
 * TokenStore), for Redis 7.0 and later — which has no per-field hash expiry (HEXPIRE came in 7.4),
 * so each subject has three keys under its own hash tag, in one Cluster slot (the layout and the
 * scripts are in session-scripts.ts). Every operation is one command: a script over the subject's
 * keys (atomic, so a touch never brings back a record a delete removed, concurrent saves all land,
 * and the cap ends exactly the oldest), or one `UNLINK` for `deleteSessions`. A save past
 * `maxPerSubject` revokes each ended family (its `r:` key, PXAT the record's expiry) before it
 * forgets the record, in the same script.
 */
import { checkMaxPerSubject, checkPageLimit } from '../checks.js'
import type { SessionRecord, SessionStore } from '../types.js'
import { toText } from '../util.js'
import { type Command, unexpected } from './client.js'
import { msOf } from './keys.js'
import { DELETE, GET, LIST, PAGE, SAVE, TOUCH } from './session-scripts.js'

/** What the session methods need of the store around them (index.ts). */
export interface RedisSessionDeps {
  /** Sends a command about `firstKey` (a cluster routes it to that key's slot), with the store's timeout. */
  command: Command
  /** `<prefix>{<hash tag of subject>}`: the start of every key of `subject`. */
  subjectKey(subject: string): string
  /** The revocation key of family `id` of `subject`, as `revoke(id, …, subject)` writes it, less the id. */
  revocationPrefix(subject: string): string
  /** The families a save ended: their revocation keys leave the verdict cache. */
  ended(subject: string, ids: readonly string[]): void
  /** The store's clock, epoch ms. */
  now(): number
}

/** The three session keys of `subject`: expiry index, listing index, records. */
export function sessionKeys(
  subjectKey: (subject: string) => string,
  subject: string,
): [string, string, string] {
  const base = `${subjectKey(subject)}:`
  const encoded = encodeURIComponent(subject)
  return [`${base}si:${encoded}`, `${base}sl:${encoded}`, `${base}sr:${encoded}`]
}

/** The 15 digits of a record's listing member: inverted creation ms, so newest sorts first. */
export function creationKey(createdAt: number): string {
  const ms = Math.min(Math.max(Math.round(createdAt * 1000), 0), 999_999_999_999_999)
  return String(999_999_999_999_999 - ms).padStart(15, '0')
}

/**
 * The session methods over `deps`.
 *
 * @example
 * ```ts
 * const sessions = redisSessions({ command, subjectKey, revocationPrefix, ended, now })
 * await sessions.listSessions('u1', { limit: 50 })
 * ```
 */
export function redisSessions(deps: RedisSessionDeps): Required<SessionStore> {
  const { command, subjectKey, now } = deps
  const run = (script: string, subject: string, args: string[]) => {
    const keys = sessionKeys(subjectKey, subject)
    return command(keys[0], ['EVAL', script, '3', ...keys, ...args])
  }
  const flag = (what: string, reply: unknown) => {
    const n = Number(reply)
    if (n !== 0 && n !== 1) throw unexpected(what, reply)
    return n === 1
  }
  const recordsOf = recordsFrom

  return {
    async saveSession(record, options) {
      const t = now()
      if (record.expiresAt * 1000 <= t) return []
      const max = options?.maxPerSubject
      checkMaxPerSubject(max)
      const { id, subject, createdAt, userAgent, address } = record
      const data = JSON.stringify({ id, subject, createdAt, userAgent, address })
      const reply = await run(SAVE, subject, [
        id,
        data,
        String(record.lastUsedAt),
        msOf(record.expiresAt),
        String(t),
        creationKey(createdAt),
        String(max ?? 0),
        deps.revocationPrefix(subject),
      ])
      if (!Array.isArray(reply)) throw unexpected('the session save script', reply)
      const ended = reply.map(toText)
      if (ended.length > 0) deps.ended(subject, ended)
      return ended
    },
    async touchSession(subject, id, lastUsedAt, expiresAt) {
      const reply = await run(TOUCH, subject, [id, String(lastUsedAt), msOf(expiresAt), String(now())])
      return flag('the session touch script', reply)
    },
    async listSessions(subject, page) {
      if (page === undefined)
        return recordsOf('the session list script', subject, await run(LIST, subject, [String(now())]))
      const { limit, after } = page
      checkPageLimit(limit)
      const from = after === undefined ? '-' : `(${creationKey(after.createdAt)}:${after.id}`
      const reply = await run(PAGE, subject, [String(now()), from, String(limit)])
      return recordsOf('the session page script', subject, reply)
    },
    async getSession(subject, id) {
      const [idx, , rec] = sessionKeys(subjectKey, subject)
      const reply = await command(idx, ['EVAL', GET, '2', idx, rec, id, String(now())])
      if (reply === null || reply === undefined) return null
      const [record] = recordsOf('the session get script', subject, reply)
      return record ?? null
    },
    async deleteSession(subject, id) {
      return flag('the session delete script', await run(DELETE, subject, [id, String(now())]))
    },
    async deleteSessions(subject) {
      const keys = sessionKeys(subjectKey, subject)
      const reply = await command(keys[0], ['UNLINK', ...keys])
      if (!Number.isInteger(Number(reply))) throw unexpected('UNLINK', reply)
    },
  }
}

/** Records from a script's flat [JSON, lastUsedAt, expiry ms, …] reply. */
function recordsFrom(what: string, subject: string, reply: unknown): SessionRecord[] {
  if (!Array.isArray(reply) || reply.length % 3 !== 0) throw unexpected(what, reply)
  const records: SessionRecord[] = []
  for (let i = 0; i < reply.length; i += 3)
    records.push(recordFrom(what, subject, reply[i], reply[i + 1], reply[i + 2]))
  return records
}

/** One record from a script's three values; a value it cannot read is a failure. */
function recordFrom(
  what: string,
  subject: string,
  data: unknown,
  used: unknown,
  score: unknown,
): SessionRecord {
  let fixed: Partial<SessionRecord>
  try {
    fixed = JSON.parse(toText(data)) as Partial<SessionRecord>
  } catch {
    throw unexpected(what, data)
  }
  const record: SessionRecord = {
    id: String(fixed.id),
    subject,
    createdAt: Number(fixed.createdAt),
    lastUsedAt: Number(toText(used)) || Number(fixed.createdAt),
    expiresAt: Number(toText(score)) / 1000,
    userAgent: typeof fixed.userAgent === 'string' ? fixed.userAgent : null,
    address: typeof fixed.address === 'string' ? fixed.address : null,
  }
  if (typeof fixed.id !== 'string' || fixed.subject !== subject || !Number.isFinite(record.expiresAt))
    throw unexpected(what, data)
  return record
}
