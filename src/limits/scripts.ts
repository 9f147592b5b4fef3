import { Script } from '../redis/script';

/**
 * APPLY: one client's settlements, then its admissions, in one atomic call. A replica sends one call per client
 * per event-loop turn with everything that turn brought, so Redis reads each key once, runs the requests against
 * those values in order, and writes each key once: the cost of a call is paid per turn, not per request.
 *
 * KEYS, all under the client's hash tag:
 *   1 `<prefix>{<client>}:rate`            hash r, rt (requests bucket level, its time), t, tt (tokens bucket)
 *   2 `<prefix>{<client>}:day:<YYYYMMDD>`  hash t (tokens), u (nano-dollars)
 *   3 `<prefix>{<client>}:month:<YYYYMM>`  hash t, u
 *   4 `<prefix>{<client>}:streams`         sorted set: lease id -> expiry (ms)
 *   5 `<prefix>{<client>}:open`            sorted set: admission id -> expiry (ms), until settled
 * ARGV: 1 now, 2-8 the client's limits (requests/min, tokens/min, tokens/day, tokens/month, usd/day and usd/month
 * in nano-dollars, concurrentStreams; 0: a limit it does not have), 9 end of the day, 10 end of the month, 11 lease
 * ms, 12 ms kept after a window's end, 13 the number of settlements S, then S groups of 8 (mode, id, the change to
 * tokens/min, tokens/day, tokens/month, usd/day, usd/month, the lease to free or ''), then the number of
 * admissions A, then A groups of 5 (1 if a stream, reserved tokens, reserved nano-dollars, id, 1 to record it
 * because something is settled later).
 * Settlement modes: `end` applies if the admission is still open and closes it (so a retried settlement, or the
 * refund of an admission whose reply was lost, counts once); `add` applies if it is open (a session's usage so
 * far); `once` applies if the id was never seen, and records it (usage counted while Redis was unreachable).
 * Returns, in order: 1/0 per settlement (applied), then per admission 0 and 0 (admitted) or the refused limit's
 * number (1 streams, 2 requests/min, 3 tokens/min, 4 tokens/day, 5 tokens/month, 6 usd/day, 7 usd/month) and the
 * seconds to wait (the longest wait is named); then, if a settlement was `add`, the day's tokens and nano-dollars
 * and the month's. A refused admission changes nothing.
 * Times are the replica's clock, in ms; expiries are set relative (PEXPIRE), so Redis's own clock never matters.
 * Integers go to Redis through %d: Lua would print 1e15 as `1e+15`, which PEXPIRE refuses.
 */
export const APPLY = new Script(`
local now = tonumber(ARGV[1])
local rpm, tpm, tpd, tpmo = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local ud, um, streams = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local dayEnd, monthEnd, leaseMs, keepMs = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local function int(x) return string.format('%d', x) end
local function level(value, at, size)
  if not value then return size end
  return math.min(size, tonumber(value) + math.max(0, now - tonumber(at)) * size / 60000)
end
-- A bucket's time never moves back: replicas' clocks differ and their calls arrive out of order, and a time
-- set back would credit the same interval's refill twice (a burst over three replicas admitted 21 of 20).
local function later(at) return math.max(now, tonumber(at) or 0) end

-- Each key is read at most once, on first use, and written once at the end if it changed.
local bucket
local function rate()
  if not bucket then
    local b = redis.call('HMGET', KEYS[1], 'r', 'rt', 't', 'tt')
    bucket = {r = level(b[1], b[2], rpm), rt = later(b[2]), t = level(b[3], b[4], tpm), tt = later(b[4])}
  end
  return bucket
end
local windows = {}
local function window(i)
  if not windows[i] then
    local w = redis.call('HMGET', KEYS[i], 't', 'u')
    windows[i] = {t = tonumber(w[1]) or 0, u = tonumber(w[2]) or 0, new = not w[1] and not w[2]}
  end
  return windows[i]
end
local function change(i, dt, du)
  if dt == 0 and du == 0 then return end
  local w = window(i)
  w.t, w.u, w.changed = w.t + dt, w.u + du, true
end

local out, at, added = {}, 14, false
local settlements = tonumber(ARGV[13])
-- Which admissions to end or add to are still open: one ZMSCORE for them all (and one ZREM after).
local asked, isOpen, closing = {}, {}, {}
for i = 0, settlements - 1 do
  if ARGV[at + i * 8] ~= 'once' then asked[#asked + 1] = ARGV[at + i * 8 + 1] end
end
if #asked > 0 then
  local scores = redis.call('ZMSCORE', KEYS[5], unpack(asked))
  for i, id in ipairs(asked) do isOpen[id] = scores[i] ~= false end
end
local freed = {}
for _ = 1, settlements do
  local mode, id = ARGV[at], ARGV[at + 1]
  local applies
  if mode == 'end' then
    -- Once: the same id twice in one call (a refund and a retry) applies the first time only.
    applies = isOpen[id]
    isOpen[id] = false
    if applies then closing[#closing + 1] = id end
  elseif mode == 'add' then
    applies = isOpen[id]
    added = true
  else
    applies = redis.call('ZADD', KEYS[5], 'NX', int(now + keepMs), id) == 1
    if applies then redis.call('PEXPIRE', KEYS[5], int(keepMs)) end
  end
  if ARGV[at + 7] ~= '' then freed[#freed + 1] = ARGV[at + 7] end
  if applies then
    local dTpm = tonumber(ARGV[at + 2])
    if tpm > 0 and dTpm ~= 0 then
      local b = rate()
      b.t, b.changed = math.min(tpm, b.t - dTpm), true
    end
    change(2, tonumber(ARGV[at + 3]), tonumber(ARGV[at + 5]))
    change(3, tonumber(ARGV[at + 4]), tonumber(ARGV[at + 6]))
  end
  out[#out + 1] = applies and 1 or 0
  at = at + 8
end
if #closing > 0 then redis.call('ZREM', KEYS[5], unpack(closing)) end
if #freed > 0 then redis.call('ZREM', KEYS[4], unpack(freed)) end

local open, leases, recorded = nil, {}, {}
local leaseAt, recordAt = int(now + leaseMs), int(now + keepMs)
local limit, wait, tokens, nano
local function refuse(index, seconds)
  if seconds > wait then limit, wait = index, seconds end
end
local function needs(reserve, size) return math.max(1, math.min(reserve, size)) end
local function bucketWait(missing, size) return math.max(1, math.ceil(missing * 60 / size)) end
local function check(i, tl, ul, tIndex, uIndex, ends)
  if tl == 0 and ul == 0 then return end
  local w = window(i)
  if tl > 0 and w.t + needs(tokens, tl) > tl then refuse(tIndex, math.max(1, math.ceil((ends - now) / 1000)))
  elseif ul > 0 and w.u + needs(nano, ul) > ul then refuse(uIndex, math.max(1, math.ceil((ends - now) / 1000))) end
end
local admissions = tonumber(ARGV[at])
at = at + 1
for _ = 1, admissions do
  local stream, id = ARGV[at] == '1' and streams > 0, ARGV[at + 3]
  tokens, nano, limit, wait = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), 0, 0
  if stream then
    if not open then
      redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', int(now))
      open = redis.call('ZCARD', KEYS[4])
    end
    if open >= streams then refuse(1, 1) end
  end
  local b
  if rpm > 0 or tpm > 0 then
    b = rate()
    if rpm > 0 and b.r < 1 then refuse(2, bucketWait(1 - b.r, rpm)) end
    if tpm > 0 and b.t < needs(tokens, tpm) then refuse(3, bucketWait(needs(tokens, tpm) - b.t, tpm)) end
  end
  check(2, tpd, ud, 4, 6, dayEnd)
  check(3, tpmo, um, 5, 7, monthEnd)
  if limit == 0 then
    if b then
      if rpm > 0 then b.r = b.r - 1 end
      if tpm > 0 then b.t = b.t - math.min(tokens, tpm) end
      b.changed = true
    end
    -- min(x, 0) is 0: a limit the client does not have takes nothing.
    if tpd > 0 or ud > 0 then change(2, math.min(tokens, tpd), math.min(nano, ud)) end
    if tpmo > 0 or um > 0 then change(3, math.min(tokens, tpmo), math.min(nano, um)) end
    if stream then
      open = open + 1
      leases[#leases + 1] = leaseAt
      leases[#leases + 1] = id
    end
    if ARGV[at + 4] == '1' then
      recorded[#recorded + 1] = recordAt
      recorded[#recorded + 1] = id
    end
  end
  out[#out + 1] = limit
  out[#out + 1] = wait
  at = at + 5
end

if bucket and bucket.changed then
  local b = bucket
  if rpm > 0 and tpm > 0 then redis.call('HSET', KEYS[1], 'r', b.r, 'rt', int(b.rt), 't', b.t, 'tt', int(b.tt))
  elseif rpm > 0 then redis.call('HSET', KEYS[1], 'r', b.r, 'rt', int(b.rt))
  else redis.call('HSET', KEYS[1], 't', b.t, 'tt', int(b.tt)) end
  -- Kept until both buckets would be full again: an absent bucket is full, so nothing is lost.
  local ttl = 60000
  if tpm > 0 then ttl = math.max(ttl, (tpm - b.t) * 60000 / tpm) end
  redis.call('PEXPIRE', KEYS[1], int(math.ceil(ttl) + 1000))
end
local ends = {0, dayEnd, monthEnd}
for i = 2, 3 do
  local w = windows[i]
  if w and w.changed then
    redis.call('HSET', KEYS[i], 't', int(w.t), 'u', int(w.u))
    -- Set once, on a new key: a window's keys live KEEP_MS past its end (a late settlement still has a moment).
    if w.new then redis.call('PEXPIRE', KEYS[i], int(math.max(1000, ends[i] + keepMs - now))) end
  end
end
if #leases > 0 then
  redis.call('ZADD', KEYS[4], unpack(leases))
  redis.call('PEXPIRE', KEYS[4], int(leaseMs + 1000))
end
if #recorded > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', int(now))
  redis.call('ZADD', KEYS[5], unpack(recorded))
  redis.call('PEXPIRE', KEYS[5], int(keepMs))
end
if added then
  local d, m = window(2), window(3)
  out[#out + 1], out[#out + 1], out[#out + 1], out[#out + 1] = d.t, d.u, m.t, m.u
end
return out
`);

/** Open admissions, replayed ids and window keys are kept this long past their window: late settlements still count. */
export const KEEP_MS = 2 * 86_400_000;
