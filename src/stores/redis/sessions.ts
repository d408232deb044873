/**
 * The session records of `redisStore()` (the optional {@link SessionStore} part of the
 * TokenStore), for Redis 7.0 and later — which has no per-field hash expiry (HEXPIRE came in 7.4),
 * so each subject has two keys under its own hash tag, in one Cluster slot:
 *
 * - `…{tag}:si:<subject>` — a sorted set of the subject's session ids, scored by expiry (epoch ms);
 * - `…{tag}:sr:<subject>` — a hash: `d:<id>` the record's fixed part (JSON: id, subject, createdAt,
 *   userAgent, address), `u:<id>` its `lastUsedAt`.
 *
 * Every operation is one Lua script over both keys, so it is atomic: a touch never brings back a
 * record a delete removed, and concurrent saves all land. Expired members are pruned whenever a
 * record is saved or the list is read; both keys expire (PXAT) with their latest record, so
 * nothing outlives the sessions it describes.
 */
import type { SessionRecord, SessionStore } from '../types.js'

// Shared by every script: prune(now) drops the expired ids and their fields; keep(key, exp) makes
// `key` live at least until `exp` (PEXPIRETIME: -1 no expiry, -2 no key — both below any exp).
const COMMON = `
local idx, rec = KEYS[1], KEYS[2]
local function prune(now)
  local gone = redis.call('ZRANGEBYSCORE', idx, '-inf', now)
  for _, id in ipairs(gone) do redis.call('HDEL', rec, 'd:' .. id, 'u:' .. id) end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', idx, '-inf', now) end
end
local function keep(key, exp)
  if redis.call('PEXPIRETIME', key) < exp then redis.call('PEXPIREAT', key, exp) end
end
`
// ARGV = id, record JSON, lastUsedAt, expiry ms, now ms
const SAVE = `${COMMON}
local id, exp = ARGV[1], tonumber(ARGV[4])
prune(ARGV[5])
redis.call('HSET', rec, 'd:' .. id, ARGV[2], 'u:' .. id, ARGV[3])
redis.call('ZADD', idx, exp, id)
keep(idx, exp)
keep(rec, exp)
return 1`
// ARGV = id, lastUsedAt, expiry ms, now ms. Only a live record is touched; both values only rise.
const TOUCH = `${COMMON}
local id, exp = ARGV[1], tonumber(ARGV[3])
local score = redis.call('ZSCORE', idx, id)
if not score or tonumber(score) <= tonumber(ARGV[4]) then return 0 end
local used = tonumber(redis.call('HGET', rec, 'u:' .. id) or '0')
if tonumber(ARGV[2]) > used then redis.call('HSET', rec, 'u:' .. id, ARGV[2]) end
if exp > tonumber(score) then
  redis.call('ZADD', idx, exp, id)
  keep(idx, exp)
  keep(rec, exp)
end
return 1`
// ARGV = now ms. Returns [record JSON, lastUsedAt, expiry ms] per live record.
const LIST = `${COMMON}
prune(ARGV[1])
local ids = redis.call('ZRANGE', idx, 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  local data = redis.call('HGET', rec, 'd:' .. ids[i])
  if data then
    out[#out + 1] = data
    out[#out + 1] = redis.call('HGET', rec, 'u:' .. ids[i]) or ''
    out[#out + 1] = ids[i + 1]
  end
end
return out`
// ARGV = id, now ms. 1 when a live record was removed.
const DELETE = `${COMMON}
local id = ARGV[1]
local score = redis.call('ZSCORE', idx, id)
redis.call('ZREM', idx, id)
redis.call('HDEL', rec, 'd:' .. id, 'u:' .. id)
if score and tonumber(score) > tonumber(ARGV[2]) then return 1 end
return 0`

/** What the session methods need of the store around them (index.ts). */
export interface RedisSessionDeps {
  /** Sends a command about `firstKey` (a cluster routes it to that key's slot), with the store's timeout. */
  command(firstKey: string, args: string[]): Promise<unknown>
  /** `<prefix>{<hash tag of subject>}`: the start of every key of `subject`. */
  subjectKey(subject: string): string
  /** The error for a reply the store does not recognise (fail closed). */
  unexpected(what: string, reply: unknown): Error
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return String(value)
}

/**
 * The four session methods over `deps`.
 *
 * @example
 * ```ts
 * const sessions = redisSessions({ command, subjectKey: (s) => `tokenward:{${hash(s)}}`, unexpected })
 * await sessions.listSessions('u1')
 * ```
 */
export function redisSessions({ command, subjectKey, unexpected }: RedisSessionDeps): SessionStore {
  const run = (script: string, subject: string, args: string[]) => {
    const base = `${subjectKey(subject)}:`
    const encoded = encodeURIComponent(subject)
    const idx = `${base}si:${encoded}`
    return command(idx, ['EVAL', script, '2', idx, `${base}sr:${encoded}`, ...args])
  }
  const ms = (seconds: number) => String(Math.ceil(seconds * 1000))
  const flag = (what: string, reply: unknown) => {
    const n = Number(reply)
    if (n !== 0 && n !== 1) throw unexpected(what, reply)
    return n === 1
  }

  /** One record from the list script's three values; a value it cannot read is a failure. */
  const recordOf = (subject: string, data: unknown, used: unknown, score: unknown): SessionRecord => {
    let fixed: Partial<SessionRecord>
    try {
      fixed = JSON.parse(toText(data)) as Partial<SessionRecord>
    } catch {
      throw unexpected('the session list script', data)
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
      throw unexpected('the session list script', data)
    return record
  }

  return {
    async saveSession(record) {
      if (record.expiresAt * 1000 <= Date.now()) return
      const { id, subject, createdAt, userAgent, address } = record
      const data = JSON.stringify({ id, subject, createdAt, userAgent, address })
      const reply = await run(SAVE, subject, [
        id,
        data,
        String(record.lastUsedAt),
        ms(record.expiresAt),
        String(Date.now()),
      ])
      if (Number(reply) !== 1) throw unexpected('the session save script', reply)
    },
    async touchSession(subject, id, lastUsedAt, expiresAt) {
      const reply = await run(TOUCH, subject, [id, String(lastUsedAt), ms(expiresAt), String(Date.now())])
      return flag('the session touch script', reply)
    },
    async listSessions(subject) {
      const reply = await run(LIST, subject, [String(Date.now())])
      if (!Array.isArray(reply) || reply.length % 3 !== 0) throw unexpected('the session list script', reply)
      const records: SessionRecord[] = []
      for (let i = 0; i < reply.length; i += 3)
        records.push(recordOf(subject, reply[i], reply[i + 1], reply[i + 2]))
      return records
    },
    async deleteSession(subject, id) {
      return flag('the session delete script', await run(DELETE, subject, [id, String(Date.now())]))
    },
  }
}
