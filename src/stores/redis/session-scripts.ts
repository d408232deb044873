/**
 * The Lua scripts of `redisStore()`'s session records (sessions.ts) and of `spendRefresh`
 * (refresh.ts). A subject's records live in three keys under the subject's hash tag (one Cluster
 * slot), all expiring (PXAT) with the subject's latest record:
 *
 * - `…:si:<subject>` — sorted set: id, scored by the record's expiry (epoch ms), for pruning and the
 *   live count;
 * - `…:sl:<subject>` — sorted set, every score 0, member `<inverted creation ms, 15 digits>:<id>`:
 *   in lexical order that is newest login first, then id ascending — a page is one
 *   `ZRANGE … BYLEX LIMIT` (O(log n + limit)), continuing strictly after any cursor, existing or not;
 * - `…:sr:<subject>` — hash: `d:<id>` the record's fixed part (JSON), `u:<id>` its `lastUsedAt`,
 *   `k:<id>` the 15 digits of its `sl` member.
 *
 * Scripts that may write start with `#!lua`: Redis then refuses them whole, before any command, on
 * a read-only replica or when out of memory — never a script stopped half-way. No script's work
 * grows with a subject's record count: expired records are pruned at most 100 per call, and
 * everything else is O(log n) per record it returns or ends.
 */

/**
 * The shared part: `o` is where the three session keys start in KEYS. `forget(id)` removes a record
 * from all three keys; `prune(now)` drops at most 100 expired records; `touch` is `touchSession`.
 */
const LIB = (offset: string) => `
local o = ${offset}
local idx, lst, rec = KEYS[o + 1], KEYS[o + 2], KEYS[o + 3]
local function forget(id)
  local k = redis.call('HGET', rec, 'k:' .. id)
  if k then redis.call('ZREM', lst, k .. ':' .. id) end
  redis.call('ZREM', idx, id)
  redis.call('HDEL', rec, 'd:' .. id, 'u:' .. id, 'k:' .. id)
end
local function prune(now)
  local gone = redis.call('ZRANGE', idx, '-inf', now, 'BYSCORE', 'LIMIT', 0, 100)
  for _, id in ipairs(gone) do forget(id) end
end
local function alive(id, now)
  local score = redis.call('ZSCORE', idx, id)
  return score ~= false and tonumber(score) > tonumber(now), score
end
local function keep(key, exp)
  if redis.call('PEXPIRETIME', key) < exp then redis.call('PEXPIREAT', key, exp) end
end
local function keepAll(exp)
  keep(idx, exp)
  keep(lst, exp)
  keep(rec, exp)
end
local function touch(id, used, exp, now)
  local live, score = alive(id, now)
  if not live then return 0 end
  local was = tonumber(redis.call('HGET', rec, 'u:' .. id) or '0')
  if tonumber(used) > was then redis.call('HSET', rec, 'u:' .. id, used) end
  exp = tonumber(exp)
  if exp > tonumber(score) then
    redis.call('ZADD', idx, exp, id)
    keepAll(exp)
  end
  return 1
end
`

/** encodeURIComponent of Lua bytes (UTF-8 in, %XX out): the id part of a revocation key. */
const ENCODE = `
local function encode(s)
  return (string.gsub(s, "[^%w%-_%.!~%*'%(%)]", function(c) return string.format('%%%02X', string.byte(c)) end))
end
`

/**
 * Ends the `need` oldest live records — creation ascending, then id ascending: the last group of
 * `sl` (the oldest creation time), read in id order, then the group before — each family revoked
 * first (`SET <rprefix><id> PXAT` its record's expiry, never shortening a revocation), then the
 * record forgotten. Dead members met on the way are forgotten without counting.
 */
const END_OLDEST = `
local function endOldest(need, now, rprefix)
  local ended = {}
  local last = redis.call('ZRANGE', lst, -1, -1)[1]
  while last and #ended < need do
    local group = string.sub(last, 1, 15)
    local from = '[' .. group .. ':'
    while #ended < need do
      local m = redis.call('ZRANGE', lst, from, '(' .. group .. ';', 'BYLEX', 'LIMIT', 0, 1)[1]
      if not m then break end
      local id = string.sub(m, 17)
      local live, score = alive(id, now)
      if live then
        local rkey = rprefix .. encode(id)
        local at = tonumber(score)
        if redis.call('PEXPIRETIME', rkey) > at then at = redis.call('PEXPIRETIME', rkey) end
        redis.call('SET', rkey, '1', 'PXAT', at)
        ended[#ended + 1] = id
      end
      forget(id)
      redis.call('ZREM', lst, m)
      from = '(' .. m
    end
    last = redis.call('ZRANGE', lst, -1, -1)[1]
  end
  return ended
end
`

// KEYS = si, sl, sr. ARGV = id, record JSON, lastUsedAt, expiry ms, now ms, creation key (15
// digits), cap (0: none), revocation key prefix of the subject. Returns the ids it ended.
export const SAVE = `#!lua
${LIB('0')}${ENCODE}${END_OLDEST}
local id, exp, now, cap = ARGV[1], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[7])
prune(now)
local replacing = alive(id, now)
forget(id)
local ended = {}
if cap > 0 and not replacing then
  local need = redis.call('ZCOUNT', idx, '(' .. now, '+inf') + 1 - cap
  if need > 0 then ended = endOldest(need, now, ARGV[8]) end
end
redis.call('HSET', rec, 'd:' .. id, ARGV[2], 'u:' .. id, ARGV[3], 'k:' .. id, ARGV[6])
redis.call('ZADD', idx, exp, id)
redis.call('ZADD', lst, 0, ARGV[6] .. ':' .. id)
keepAll(exp)
return ended`

// KEYS = si, sl, sr. ARGV = id, lastUsedAt, expiry ms, now ms. Only a live record is touched; both
// values only rise.
export const TOUCH = `#!lua
${LIB('0')}
return touch(ARGV[1], ARGV[2], ARGV[3], ARGV[4])`

// KEYS = si, sl, sr. ARGV = now ms. Every live record: [record JSON, lastUsedAt, expiry ms] each.
export const LIST = `#!lua
${LIB('0')}
prune(ARGV[1])
local ids = redis.call('ZRANGE', idx, '(' .. ARGV[1], '+inf', 'BYSCORE', 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  local v = redis.call('HMGET', rec, 'd:' .. ids[i], 'u:' .. ids[i])
  if v[1] then
    out[#out + 1] = v[1]
    out[#out + 1] = v[2] or ''
    out[#out + 1] = ids[i + 1]
  end
end
return out`

// KEYS = si, sl, sr. ARGV = now ms, lexical start (exclusive cursor or '-'), limit. At most
// `limit` live records, newest first, as LIST gives them. Dead members met are forgotten; the scan
// stops after limit + 1000 members, so one call's work stays bounded.
export const PAGE = `#!lua
${LIB('0')}
local now, from, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
prune(now)
local out, found, budget = {}, 0, limit + 1000
while found < limit and budget > 0 do
  local batch = redis.call('ZRANGE', lst, from, '+', 'BYLEX', 'LIMIT', 0, limit - found)
  if #batch == 0 then break end
  for _, m in ipairs(batch) do
    budget = budget - 1
    local id = string.sub(m, 17)
    local live, score = alive(id, now)
    local v = live and redis.call('HMGET', rec, 'd:' .. id, 'u:' .. id) or {}
    if v[1] then
      found = found + 1
      out[#out + 1] = v[1]
      out[#out + 1] = v[2] or ''
      out[#out + 1] = score
    else
      forget(id)
      redis.call('ZREM', lst, m)
    end
    from = '(' .. m
  end
end
return out`

// KEYS = si, sr. ARGV = id, now ms. [record JSON, lastUsedAt, expiry ms], or nil: O(log n), no writes.
export const GET = `#!lua flags=no-writes
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= tonumber(ARGV[2]) then return false end
local v = redis.call('HMGET', KEYS[2], 'd:' .. ARGV[1], 'u:' .. ARGV[1])
if not v[1] then return false end
return { v[1], v[2] or '', score }`

// KEYS = si, sl, sr. ARGV = id, now ms. 1 when a live record was removed. O(log n).
export const DELETE = `#!lua
${LIB('0')}
local live = alive(ARGV[1], ARGV[2])
forget(ARGV[1])
if live then return 1 end
return 0`

/**
 * One refresh-token presentation (TokenStore.spendRefresh). KEYS = the n revocation keys of the
 * ids, the subject's cutoff key, the family's state key, then si, sl, sr. ARGV = n, issuedAt,
 * generation, the caller's now (ms), grace (ms), retries allowed, state expiry (ms), the store's now
 * (ms), touch (1 or 0), lastUsedAt, record expiry (ms), family id. The state is one string,
 * "<generation> <first presented, ms> <retries>", kept at least until the latest expiry given.
 * Returns the verdict; writes nothing for "revoked" and "reused".
 */
export const SPEND = `#!lua
${LIB('tonumber(ARGV[1]) + 2')}
local n = tonumber(ARGV[1])
local values = redis.call('MGET', unpack(KEYS, 1, n + 1))
for i = 1, n do
  if values[i] then return 'revoked' end
end
if values[n + 1] and tonumber(ARGV[2]) <= tonumber(values[n + 1]) then return 'revoked' end
local f, g, now = KEYS[n + 2], tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('GET', f)
local verdict, value = 'rotate', ARGV[3] .. ' ' .. ARGV[4] .. ' 0'
if state then
  local sg, sf, sc = string.match(state, '^(%d+) (%-?%d+) (%d+)$')
  if not sg then return redis.error_reply('tokenward: unreadable refresh-family state') end
  if g > tonumber(sg) then
    verdict = 'rotate'
  elseif g == tonumber(sg) and math.abs(now - tonumber(sf)) < tonumber(ARGV[5]) and tonumber(sc) < tonumber(ARGV[6]) then
    verdict, value = 'retry', sg .. ' ' .. sf .. ' ' .. (tonumber(sc) + 1)
  else
    return 'reused'
  end
end
local exp = tonumber(ARGV[7])
if redis.call('PEXPIRETIME', f) > exp then exp = redis.call('PEXPIRETIME', f) end
redis.call('SET', f, value, 'PXAT', exp)
if ARGV[9] == '1' then touch(ARGV[12], ARGV[10], ARGV[11], ARGV[8]) end
return verdict`
