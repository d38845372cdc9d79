/**
 * The admission script Redis runs atomically: no other node's request can take a slot between
 * one node's check and its count, which is what makes a limit exact across nodes. One run admits
 * a batch of requests in order (those a node received within one turn of its event loop), each
 * seeing the counts the ones before it left: one round trip for many requests.
 *
 * KEYS, three per scope of each request in turn: requests (sorted set of arrival times), tokens
 * (hash: second → tokens), spend (a float). ARGV: window ms, the number of requests, then per
 * request: now, its scope count, a unique member, then per scope: rpm, tpm, budget (each -1 when
 * absent) and this node's spend total (seeds a lost key). Returns, per request in order:
 * verdict, scope index, wait ms, then per scope: requests, requests reset ms, tokens, tokens
 * reset ms. Verdict 0 admitted, 1 budget, 2 tokens, 3 requests.
 * Tokens are kept per second: the window slides in steps of one second.
 */
export const ADMIT_SCRIPT = `
local window = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local out = {}
local function admit(ko, ao)
  local now = tonumber(ARGV[ao + 1])
  local n = tonumber(ARGV[ao + 2])
  local member = ARGV[ao + 3]
  local p = ao + 3
  local usage = {}
  local buckets = {}
  for i = 1, n do
    local rk, tk = KEYS[ko + (i - 1) * 3 + 1], KEYS[ko + (i - 1) * 3 + 2]
    local rpm = tonumber(ARGV[p + (i - 1) * 4 + 1])
    local tpm = tonumber(ARGV[p + (i - 1) * 4 + 2])
    -- A scope without an rpm (or tpm) has nothing to count or report for it: no Redis work.
    local requests, requestsReset = 0, 0
    if rpm >= 0 then
      redis.call('ZREMRANGEBYSCORE', rk, '-inf', now - window)
      requests = redis.call('ZCARD', rk)
      local first = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')
      if first[2] then requestsReset = tonumber(first[2]) + window - now end
    end
    local list = {}
    local tokens, newest = 0, -1
    if tpm >= 0 then
      local all = redis.call('HGETALL', tk)
      for j = 1, #all, 2 do
        local second = tonumber(all[j])
        if (second + 1) * 1000 + window <= now then
          redis.call('HDEL', tk, all[j])
        else
          local c = tonumber(all[j + 1])
          tokens = tokens + c
          if second > newest then newest = second end
          list[#list + 1] = { second, c }
        end
      end
    end
    local tokensReset = 0
    if newest >= 0 then tokensReset = (newest + 1) * 1000 + window - now end
    buckets[i] = list
    usage[i] = { requests, requestsReset, tokens, tokensReset }
  end
  local function reply(verdict, index, wait)
    out[#out + 1] = verdict
    out[#out + 1] = index
    out[#out + 1] = math.max(0, math.floor(wait))
    for i = 1, n do
      for k = 1, 4 do out[#out + 1] = math.max(0, math.floor(usage[i][k])) end
    end
    return n
  end
  for i = 1, n do
    local budget = tonumber(ARGV[p + (i - 1) * 4 + 3])
    if budget >= 0 then
      local sk = KEYS[ko + (i - 1) * 3 + 3]
      local spent = redis.call('GET', sk)
      if not spent then
        spent = ARGV[p + (i - 1) * 4 + 4]
        redis.call('SET', sk, spent, 'PX', 3456000000)
      end
      if tonumber(spent) >= budget then return reply(1, i - 1, 3600000) end
    end
  end
  for i = 1, n do
    local tpm = tonumber(ARGV[p + (i - 1) * 4 + 2])
    if tpm >= 0 and usage[i][3] >= tpm then
      -- Only a refusal needs the buckets in order (the wait until enough of them expire).
      table.sort(buckets[i], function(a, b) return a[1] < b[1] end)
      local left = usage[i][3]
      local wait = 0
      for _, bucket in ipairs(buckets[i]) do
        left = left - bucket[2]
        wait = (bucket[1] + 1) * 1000 + window - now
        if left < tpm then break end
      end
      return reply(2, i - 1, wait)
    end
  end
  for i = 1, n do
    local rpm = tonumber(ARGV[p + (i - 1) * 4 + 1])
    if rpm >= 0 and usage[i][1] >= rpm then return reply(3, i - 1, usage[i][2]) end
  end
  for i = 1, n do
    local rpm = tonumber(ARGV[p + (i - 1) * 4 + 1])
    if rpm >= 0 then
      local rk = KEYS[ko + (i - 1) * 3 + 1]
      redis.call('ZADD', rk, now, member)
      redis.call('PEXPIRE', rk, window)
      usage[i][1] = usage[i][1] + 1
      if usage[i][2] == 0 then usage[i][2] = window end
    end
  end
  return reply(0, 0, 0)
end
local ko, ao = 0, 2
for r = 1, count do
  local n = admit(ko, ao)
  ko = ko + 3 * n
  ao = ao + 3 + 4 * n
end
return out
`;

/**
 * Counts tokens and spend after an answer. KEYS: tokens hashes, then spend keys.
 * ARGV: the second, the window ms, the number of token keys, then one amount per key in order.
 */
export const RECORD_SCRIPT = `
local second = ARGV[1]
local window = tonumber(ARGV[2])
local t = tonumber(ARGV[3])
for i = 1, #KEYS do
  local amount = ARGV[3 + i]
  if i <= t then
    redis.call('HINCRBY', KEYS[i], second, amount)
    redis.call('PEXPIRE', KEYS[i], window + 2000)
  elseif redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBYFLOAT', KEYS[i], amount)
  end
end
return 1
`;
