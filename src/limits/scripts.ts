import { Script } from '../redis/script';

/**
 * The two Lua scripts. KEYS, for both, all under the client's hash tag:
 *   1 `<prefix>{<client>}:rate`            hash r, rt (requests bucket level, its time), t, tt (tokens bucket)
 *   2 `<prefix>{<client>}:day:<YYYYMMDD>`  hash t (tokens), u (nano-dollars)
 *   3 `<prefix>{<client>}:month:<YYYYMM>`  hash t, u
 *   4 `<prefix>{<client>}:streams`         sorted set: lease id -> expiry (ms)
 *   5 `<prefix>{<client>}:open`            sorted set: admission id -> expiry (ms), until settled
 * Times are the replica's clock (ARGV 1), in ms; expiries are set relative (PEXPIRE), so Redis's own clock
 * never matters. Integers go to Redis through %d: Lua would print 1e15 as
 * `1e+15`, which HINCRBY and PEXPIRE refuse.
 */
const COMMON = `
local now = tonumber(ARGV[1])
local function int(x) return string.format('%d', x) end
local function level(value, at, size)
  if not value then return size end
  return math.min(size, tonumber(value) + math.max(0, now - tonumber(at)) * size / 60000)
end
-- A bucket's time never moves back: replicas' clocks differ and their scripts arrive out of order, and a time
-- set back would credit the same interval's refill twice (a burst over three replicas admitted 21 of 20).
local function later(at) return int(math.max(now, tonumber(at) or 0)) end
local function keepBucket(t, tpm)
  local ttl = 60000
  if tpm > 0 then ttl = math.max(ttl, (tpm - t) * 60000 / tpm) end
  redis.call('PEXPIRE', KEYS[1], int(math.ceil(ttl) + 1000))
end
`;

/**
 * ADMIT. ARGV: 1 now, 2 requestsPerMinute, 3 tokensPerMinute, 4 tokensPerDay, 5 tokensPerMonth, 6 usdPerDay and
 * 7 usdPerMonth (nano-dollars), 8 concurrentStreams (0: not a stream, or no such limit), 9 reserved tokens,
 * 10 reserved nano-dollars, 11 id (admission and lease), 12 record the admission (1: something is settled
 * later), 13 end of the day, 14 end of the month, 15 lease ms, 16 ms kept after a window's end.
 * A limit of 0 is one the client does not have. Returns {1}, or {0, limit number (1 streams, 2 requests/min,
 * 3 tokens/min, 4 tokens/day, 5 tokens/month, 6 usd/day, 7 usd/month), seconds to wait}; the longest wait is named.
 * Everything is read before anything is written: a refused request changes nothing (but expired leases).
 */
export const ADMIT = new Script(`${COMMON}
local rpm, tpm, tpd, tpmo = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local ud, um, streams = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local tokens, nano, id = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11]
local dayEnd, monthEnd, leaseMs, keepMs = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])
local limit, wait = 0, 0
local function refuse(index, seconds)
  if seconds > wait then limit, wait = index, seconds end
end
local function needs(reserve, size) return math.max(1, math.min(reserve, size)) end
local function bucketWait(missing, size) return math.max(1, math.ceil(missing * 60 / size)) end
local function untilEnd(t) return math.max(1, math.ceil((t - now) / 1000)) end

if streams > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', int(now))
  if redis.call('ZCARD', KEYS[4]) >= streams then refuse(1, 1) end
end
local r, t, b
if rpm > 0 or tpm > 0 then
  b = redis.call('HMGET', KEYS[1], 'r', 'rt', 't', 'tt')
  if rpm > 0 then
    r = level(b[1], b[2], rpm)
    if r < 1 then refuse(2, bucketWait(1 - r, rpm)) end
  end
  if tpm > 0 then
    t = level(b[3], b[4], tpm)
    if t < needs(tokens, tpm) then refuse(3, bucketWait(needs(tokens, tpm) - t, tpm)) end
  end
end
-- A window's totals as read: {tokens, nano-dollars, whether the key is new}, or nil without such limits.
local function window(key, tl, ul, tIndex, uIndex, ends)
  if tl == 0 and ul == 0 then return nil end
  local w = redis.call('HMGET', key, 't', 'u')
  local wt, wu = tonumber(w[1]) or 0, tonumber(w[2]) or 0
  if tl > 0 and wt + needs(tokens, tl) > tl then refuse(tIndex, untilEnd(ends))
  elseif ul > 0 and wu + needs(nano, ul) > ul then refuse(uIndex, untilEnd(ends)) end
  return {wt, wu, not w[1] and not w[2]}
end
local day = window(KEYS[2], tpd, ud, 4, 6, dayEnd)
local month = window(KEYS[3], tpmo, um, 5, 7, monthEnd)
if limit > 0 then return {0, limit, wait} end

if tpm > 0 then t = t - math.min(tokens, tpm) end
if rpm > 0 and tpm > 0 then redis.call('HSET', KEYS[1], 'r', r - 1, 'rt', later(b[2]), 't', t, 'tt', later(b[4]))
elseif rpm > 0 then redis.call('HSET', KEYS[1], 'r', r - 1, 'rt', later(b[2]))
elseif tpm > 0 then redis.call('HSET', KEYS[1], 't', t, 'tt', later(b[4])) end
if rpm > 0 or tpm > 0 then keepBucket(t or 0, tpm) end
-- The totals were read above, in this same atomic run: one HSET writes both; the expiry is set once, on a new key.
local function take(key, w, tl, ul, ends)
  if not w then return end
  local dt, du = 0, 0
  if tl > 0 then dt = math.min(tokens, tl) end
  if ul > 0 then du = math.min(nano, ul) end
  if dt == 0 and du == 0 then return end
  redis.call('HSET', key, 't', int(w[1] + dt), 'u', int(w[2] + du))
  if w[3] then redis.call('PEXPIRE', key, int(ends + keepMs - now)) end
end
take(KEYS[2], day, tpd, ud, dayEnd)
take(KEYS[3], month, tpmo, um, monthEnd)
if streams > 0 then
  redis.call('ZADD', KEYS[4], int(now + leaseMs), id)
  redis.call('PEXPIRE', KEYS[4], int(leaseMs + 1000))
end
if ARGV[12] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', int(now))
  redis.call('ZADD', KEYS[5], int(now + keepMs), id)
  redis.call('PEXPIRE', KEYS[5], int(keepMs))
end
return {1}
`);

/**
 * SETTLE: a change to what an admission holds, applied at most once. ARGV: 1 now, 2 mode, 3 id, 4 tokensPerMinute,
 * 5-9 the change to tokens/min, tokens/day, tokens/month, usd/day, usd/month (nano-dollars; 0 where the client
 * has no such limit), 10 and 11 the day and month keys' time to live (ms), 12 the lease to free ('' none), 13 ms kept.
 * Modes: `end` applies if the admission is still open and closes it (so a retried settlement, or the refund of
 * an admission whose reply was lost, counts once); `add` applies if it is open (a session's usage so far);
 * `once` applies if the id was never seen, and records it (usage counted while Redis was unreachable).
 * Returns {applied (1/0)}, and for `add` also the day's tokens and nano-dollars, then the month's.
 */
export const SETTLE = new Script(`${COMMON}
local mode, id, keepMs = ARGV[2], ARGV[3], tonumber(ARGV[13])
local applies
if mode == 'end' then
  applies = redis.call('ZREM', KEYS[5], id) == 1
elseif mode == 'add' then
  applies = redis.call('ZSCORE', KEYS[5], id) ~= false
else
  applies = redis.call('ZADD', KEYS[5], 'NX', int(now + keepMs), id) == 1
  if applies then redis.call('PEXPIRE', KEYS[5], int(keepMs)) end
end
if ARGV[12] ~= '' then redis.call('ZREM', KEYS[4], ARGV[12]) end
if not applies then return {0} end
local tpm, dTpm = tonumber(ARGV[4]), tonumber(ARGV[5])
if tpm > 0 and dTpm ~= 0 then
  local b = redis.call('HMGET', KEYS[1], 't', 'tt')
  local t = math.min(tpm, level(b[1], b[2], tpm) - dTpm)
  redis.call('HSET', KEYS[1], 't', t, 'tt', later(b[2]))
  keepBucket(t, tpm)
end
-- A key whose field ends up equal to the change was new (or held 0): only then is its expiry set.
local function change(key, dt, du, ttl)
  if dt == 0 and du == 0 then return end
  local new = false
  if dt ~= 0 then new = redis.call('HINCRBY', key, 't', int(dt)) == dt end
  if du ~= 0 then new = redis.call('HINCRBY', key, 'u', int(du)) == du or new end
  if new then redis.call('PEXPIRE', key, ttl) end
end
change(KEYS[2], tonumber(ARGV[6]), tonumber(ARGV[8]), ARGV[10])
change(KEYS[3], tonumber(ARGV[7]), tonumber(ARGV[9]), ARGV[11])
if mode ~= 'add' then return {1} end
local d = redis.call('HMGET', KEYS[2], 't', 'u')
local m = redis.call('HMGET', KEYS[3], 't', 'u')
return {1, tonumber(d[1]) or 0, tonumber(d[2]) or 0, tonumber(m[1]) or 0, tonumber(m[2]) or 0}
`);

/** Open admissions, replayed ids and window keys are kept this long past their window: late settlements still count. */
export const KEEP_MS = 2 * 86_400_000;
