/**
 * The Lua scripts of redisStore's revocation and rate-limit parts (the session and refresh
 * scripts are in ./session-scripts.ts), and the verdict cache's probe.
 */

// KEYS[1] cutoff key; ARGV = at, expiresAt ms. A cutoff only moves later, and keeps the later expiry.
export const SET_CUTOFF = `
local cur = redis.call('GET', KEYS[1])
local at = ARGV[1]
if cur and tonumber(cur) > tonumber(at) then at = cur end
local ttl = redis.call('PEXPIRETIME', KEYS[1])
local exp = tonumber(ARGV[2])
if ttl and ttl > exp then exp = ttl end
redis.call('SET', KEYS[1], at, 'PXAT', exp)
return 1`

// KEYS[1] counter; ARGV = cost, window ms. One script, so the increment and the count it returns
// are one atomic step: concurrent hits each get their own number (a reservation, not a guess).
// A negative cost gives back (a successful login returns its reservation): it lowers an existing
// count, never below 0, and creates nothing. The window is set when the counter is created only
// (PTTL -1: no expiry yet), so neither a give-back nor a later hit extends it.
export const HIT = `
local cost = tonumber(ARGV[1])
if cost <= 0 then
  local cur = redis.call('GET', KEYS[1])
  if not cur then return 0 end
  if cost == 0 then return tonumber(cur) end
  local n = redis.call('INCRBY', KEYS[1], cost)
  if n < 0 then
    redis.call('INCRBY', KEYS[1], -n)
    n = 0
  end
  return n
end
local n = redis.call('INCRBY', KEYS[1], cost)
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`

/** Writes and deletes the verdict cache's probe key in one step: one invalidation, nothing left behind. */
export const PROBE = "redis.call('SET', KEYS[1], '1') redis.call('DEL', KEYS[1]) return 1"
