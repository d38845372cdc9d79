/**
 * The admission script Redis runs atomically: no other node's request can take a slot between
 * one node's check and its count, which is what makes a limit exact across nodes. One run admits
 * a batch of requests in order (those a node received since it sent its previous batch), each
 * seeing the counts the ones before it left: one round trip for many requests.
 *
 * KEYS, three per distinct scope of the batch: requests (sorted set of arrival times), tokens
 * (hash: second → tokens, with the running total and the oldest and newest second, see
 * RECORD_SCRIPT), spend (a float). ARGV: window ms, the number of scopes, then per scope: rpm,
 * tpm, budget (each -1 when absent) and the node's spend total (seeds a lost key; a budget is held
 * to the larger of it and the key's); then the number of requests, then per request: now, a unique
 * member, its scope count, and its scopes' numbers (1-based, in the request's order). Returns, per request in order: verdict, scope index (within
 * the request), wait ms, then per scope: requests, requests reset ms (a window once the request is
 * counted, the limit whole again a window after it; else until the oldest leaves), tokens, tokens
 * reset ms.
 * Verdict 0 admitted, 1 budget, 2 tokens, 3 requests. Tokens are kept per second: the window
 * slides in steps of one second.
 *
 * What it costs Redis is what every request costs a cluster, so a key read once in a run is
 * remembered for the rest of it: a request log is read again only when its oldest entry has
 * left the window, a token total only when its oldest second has, and then only that is pruned.
 * In steady traffic a request costs one ZADD, and the token buckets are summed once a second
 * rather than on every request.
 */
export const ADMIT_SCRIPT = `
local window = tonumber(ARGV[1])
local scopes = tonumber(ARGV[2])
-- Each scope's limits, parsed once for the whole batch.
local rpmOf, tpmOf, budgetOf = {}, {}, {}
for s = 1, scopes do
  local a = 2 + (s - 1) * 4
  rpmOf[s], tpmOf[s], budgetOf[s] = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
end
local requestsAt = 3 + scopes * 4
local count = tonumber(ARGV[requestsAt])
local out = {}
-- What this run knows of each key: request logs {n, first}, token totals {t, oldest, newest},
-- spend values; and the request logs it added to (their expiry is renewed once, at the end).
local logs, sums, spends, added = {}, {}, {}, {}

local function requestLog(rk, now)
  local log = logs[rk]
  if log ~= nil and (log.first == nil or log.first > now - window) then return log end
  local removed = redis.call('ZREMRANGEBYSCORE', rk, '-inf', now - window)
  local first = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')
  if log == nil then
    log = { n = redis.call('ZCARD', rk) }
    logs[rk] = log
  else
    log.n = log.n - removed
  end
  log.first = first[2] and tonumber(first[2]) or nil
  return log
end

local function expired(second, now) return (second + 1) * 1000 + window <= now end

-- The live buckets of a token hash (expired ones deleted), and their total and bounds written
-- back: what RECORD_SCRIPT keeps up to date between prunes.
local function prune(tk, now)
  local all = redis.call('HGETALL', tk)
  local total, oldest, newest = 0, nil, -1
  local gone = {}
  for j = 1, #all, 2 do
    local second = tonumber(all[j])
    if second ~= nil then
      if expired(second, now) then
        gone[#gone + 1] = all[j]
      else
        total = total + tonumber(all[j + 1])
        if oldest == nil or second < oldest then oldest = second end
        if second > newest then newest = second end
      end
    end
  end
  if oldest == nil then
    redis.call('DEL', tk)
  else
    if #gone > 0 then redis.call('HDEL', tk, unpack(gone)) end
    redis.call('HSET', tk, 't', total, 'o', oldest, 'n', newest)
  end
  return { t = total, oldest = oldest, newest = newest }
end

local function tokenSum(tk, now)
  local s = sums[tk]
  if s ~= nil and (s.oldest == nil or not expired(s.oldest, now)) then return s end
  local meta = redis.call('HMGET', tk, 't', 'o', 'n')
  local total, oldest = tonumber(meta[1]), tonumber(meta[2])
  if total == nil then
    s = { t = 0, oldest = nil, newest = -1 }
  elseif oldest ~= nil and expired(oldest, now) then
    s = prune(tk, now)
  else
    s = { t = total, oldest = oldest, newest = tonumber(meta[3]) or -1 }
  end
  sums[tk] = s
  return s
end

-- The live buckets in time order: only a refusal needs them (the wait until enough expire).
local function buckets(tk, now)
  local all = redis.call('HGETALL', tk)
  local list = {}
  for j = 1, #all, 2 do
    local second = tonumber(all[j])
    if second ~= nil and not expired(second, now) then list[#list + 1] = { second, tonumber(all[j + 1]) } end
  end
  table.sort(list, function(a, b) return a[1] < b[1] end)
  return list
end

-- Appends one request's answer to the reply: verdict, scope index, wait, then its usage. Redis
-- truncates a number to an integer reply; negatives (none expected) are sent as 0.
local o = 0
local function reply(verdict, index, wait, n, usage)
  out[o + 1], out[o + 2] = verdict, index
  if wait < 0 then wait = 0 end
  out[o + 3] = wait
  o = o + 3
  for k = 1, 4 * n do
    local v = usage[k]
    if v < 0 then v = 0 end
    out[o + k] = v
  end
  o = o + 4 * n
  return n
end

local function admit(ao)
  local nowText = ARGV[ao + 1]
  local now = tonumber(nowText)
  local member = ARGV[ao + 2]
  local n = tonumber(ARGV[ao + 3])
  -- Per scope of this request: its number in the batch and its usage, four numbers each.
  local of, usage = {}, {}
  for i = 1, n do
    local s = tonumber(ARGV[ao + 3 + i])
    of[i] = s
    -- A scope without an rpm (or tpm) has nothing to count or report for it: no Redis work.
    local requests, requestsReset, tokens, tokensReset = 0, 0, 0, 0
    if rpmOf[s] >= 0 then
      local log = requestLog(KEYS[s * 3 - 2], now)
      requests = log.n
      if log.first ~= nil then requestsReset = log.first + window - now end
    end
    if tpmOf[s] >= 0 then
      local sum = tokenSum(KEYS[s * 3 - 1], now)
      tokens = sum.t
      if sum.newest >= 0 then tokensReset = (sum.newest + 1) * 1000 + window - now end
    end
    local u = (i - 1) * 4
    usage[u + 1], usage[u + 2], usage[u + 3], usage[u + 4] = requests, requestsReset, tokens, tokensReset
  end
  for i = 1, n do
    local s = of[i]
    local budget = budgetOf[s]
    if budget >= 0 then
      local sk = KEYS[s * 3]
      local spent = spends[sk]
      if spent == nil then
        -- Lost (a restart): seeded from the node's total from storage. Otherwise the larger of
        -- the two is what is spent: Redis is ahead with what nodes have not yet flushed, the
        -- storage with what it was given beside Redis (an upgrade's fold of a rotation chain's
        -- spend, an older node's spend under a rotated key's own id added to its chain). Only
        -- the check reads the storage's: the counter is never raised to it, or a record another
        -- node flushed before it reached Redis would be counted twice once it did.
        local stored = tonumber(ARGV[2 + (s - 1) * 4 + 4])
        spent = tonumber(redis.call('GET', sk))
        if spent == nil then
          spent = stored
          redis.call('SET', sk, ARGV[2 + (s - 1) * 4 + 4], 'PX', 3456000000)
        elseif stored > spent then
          spent = stored
        end
        spends[sk] = spent
      end
      -- Spent to within a trillionth is spent, as the node's own check reads it (auth/limit-scope.ts
      -- budgetSpent): ten $0.10 answers summed as doubles are 0.9999999999999999 of a $1 budget.
      if spent >= budget - budget * 1e-12 then return reply(1, i - 1, 3600000, n, usage) end
    end
  end
  -- Every spent per-minute limit is weighed, the refusal the one that frees up last (tokens before
  -- requests on a tie): its wait is when the request passes, as a node's own admission says it.
  local refusedAt, refusedVerdict, refusedWait = 0, 0, 0
  for i = 1, n do
    local s = of[i]
    local tpm, tokens = tpmOf[s], usage[(i - 1) * 4 + 3]
    if tpm >= 0 and tokens >= tpm then
      local left, wait = tokens, 0
      for _, bucket in ipairs(buckets(KEYS[s * 3 - 1], now)) do
        left = left - bucket[2]
        wait = (bucket[1] + 1) * 1000 + window - now
        if left < tpm then break end
      end
      if refusedAt == 0 or wait > refusedWait then refusedAt, refusedVerdict, refusedWait = i, 2, wait end
    end
  end
  for i = 1, n do
    local s = of[i]
    local rpm, u = rpmOf[s], (i - 1) * 4
    local requests = usage[u + 1]
    if rpm >= 0 and requests >= rpm then
      local wait = usage[u + 2]
      -- More than the limit counted (it was lowered): a slot frees once all but rpm - 1 have left,
      -- not when the oldest does.
      if requests > rpm then
        local nth = redis.call('ZRANGE', KEYS[s * 3 - 2], requests - rpm, requests - rpm, 'WITHSCORES')
        if nth[2] then wait = tonumber(nth[2]) + window - now end
      end
      if refusedAt == 0 or wait > refusedWait then refusedAt, refusedVerdict, refusedWait = i, 3, wait end
    end
  end
  if refusedAt > 0 then return reply(refusedVerdict, refusedAt - 1, refusedWait, n, usage) end
  for i = 1, n do
    local s = of[i]
    if rpmOf[s] >= 0 then
      local rk = KEYS[s * 3 - 2]
      redis.call('ZADD', rk, nowText, member)
      local log = logs[rk]
      if log.n == 0 or log.first == nil or now < log.first then log.first = now end
      log.n = log.n + 1
      if not log.renew then
        log.renew = true
        added[#added + 1] = rk
      end
      local u = (i - 1) * 4
      usage[u + 1] = usage[u + 1] + 1
      -- Its reset is when the limit is whole again (OpenAI's and Anthropic's reset, and a node's own
      -- counters'): a window after the newest request, this one; not when the oldest frees a slot.
      usage[u + 2] = window
    end
  end
  return reply(0, 0, 0, n, usage)
end
local ao = requestsAt
for r = 1, count do
  ao = ao + 3 + admit(ao)
end
for _, rk in ipairs(added) do redis.call('PEXPIRE', rk, window) end
return out
`;

/**
 * Counts tokens and spend after an answer. KEYS: tokens hashes, then spend keys.
 * ARGV: the second, the window ms, the number of token keys, then one amount per key in order.
 * A tokens hash holds one field per second, and `t` (their total), `o` and `n` (the oldest and
 * newest second): an admission reads those three instead of every bucket.
 */
export const RECORD_SCRIPT = `
local second = ARGV[1]
local s = tonumber(second)
local window = tonumber(ARGV[2])
local t = tonumber(ARGV[3])
for i = 1, #KEYS do
  local amount = ARGV[3 + i]
  if i <= t then
    local k = KEYS[i]
    redis.call('HINCRBY', k, second, amount)
    redis.call('HINCRBY', k, 't', amount)
    local bounds = redis.call('HMGET', k, 'o', 'n')
    local oldest, newest = tonumber(bounds[1]), tonumber(bounds[2])
    if oldest == nil or s < oldest then redis.call('HSET', k, 'o', second) end
    if newest == nil or s > newest then redis.call('HSET', k, 'n', second) end
    redis.call('PEXPIRE', k, window + 2000)
  elseif redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBYFLOAT', KEYS[i], amount)
  end
end
return 1
`;
