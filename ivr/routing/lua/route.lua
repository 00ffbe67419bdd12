-- Choose an agent and reserve it, or hold the caller, in one atomic step.
-- ARGV[4..]: mode ('route' | 'serve'), call sid, queue, queue score, request json,
-- priority, sticky agent ('' = none), sticky only ('1'), entries per pool, ttl, pools...
-- 'route': a caller arrives (or is routed again); waits behind anyone ahead in the queue.
-- 'serve': the matcher tries a waiting caller, in queue order; nothing if it left.
local mode, sid, queue, qscore = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local sticky, sticky_only = ARGV[10], ARGV[11] == '1'
local per_pool, ttl = tonumber(ARGV[12]), tonumber(ARGV[13])
local ck = base .. 'call:' .. sid
local wk = base .. 'waiting:' .. queue
local tried = base .. 'tried:' .. sid

local cstate = redis.call('HGET', ck, 'state')
if cstate == 'assigned' then
  return {'connect', redis.call('HGET', ck, 'agent'), '', {}, redis.call('HGET', ck, 'n') or '0'}
end
if mode == 'serve' and (cstate ~= 'waiting' or not redis.call('ZSCORE', wk, sid)) then
  return {'gone'}
end

local function hold(considered)
  if mode == 'route' then
    redis.call('ZADD', wk, qscore, sid)
    redis.call('SADD', base .. 'queues', queue)
    redis.call('HSET', ck, 'state', 'waiting')
    return {'queue', tostring(redis.call('ZRANK', wk, sid) + 1), '', considered,
      tostring(redis.call('HINCRBY', ck, 'n', 1))}
  end
  return {'queue', tostring(redis.call('ZRANK', wk, sid) + 1), '', considered, ''}
end

if mode == 'route' then
  local oldq = redis.call('HGET', ck, 'queue')
  if oldq and oldq ~= queue then
    redis.call('ZREM', base .. 'waiting:' .. oldq, sid)
  end
  redis.call('HSET', ck, 'req', ARGV[8], 'queue', queue, 'priority', ARGV[9])
  redis.call('EXPIRE', ck, ttl)
  local ahead = redis.call('ZRANK', wk, sid)
  if not ahead then ahead = redis.call('ZCOUNT', wk, '-inf', '(' .. qscore) end
  if ahead > 0 then return hold({}) end
end

local best, best_score = nil, nil
local considered = {}
-- most calls were never declined: skip the membership checks then
local any_tried = redis.call('EXISTS', tried) == 1
local function declined(id)
  return any_tried and redis.call('SISMEMBER', tried, id) == 1
end
-- the previous agent only when eligible like anyone else: in one of the pools asked for
-- (language, the topic's skill at the level in force, the emotion rules' level or trait)
local function eligible(id)
  local mine = {}
  for pool in string.gmatch(redis.call('HGET', akey(id), 'pools') or '', '%S+') do
    mine[pool] = true
  end
  for i = 14, #ARGV do
    if mine[ARGV[i]] then return true end
  end
  return false
end
if sticky ~= '' and not declined(sticky)
    and redis.call('HGET', akey(sticky), 'state') == 'available' and eligible(sticky) then
  best, best_score = sticky, 0
  table.insert(considered, {sticky, '0', 'sticky'})
end
if not best and not sticky_only then
  for i = 14, #ARGV do
    local entries = redis.call('ZRANGE', base .. 'pool:' .. ARGV[i], 0, per_pool - 1, 'WITHSCORES')
    for j = 1, #entries, 2 do
      local id, sc = entries[j], tonumber(entries[j + 1])
      if not declined(id) then
        table.insert(considered, {id, entries[j + 1], ARGV[i]})
        if not best_score or sc < best_score then best, best_score = id, sc end
      end
    end
  end
end
if not best then return hold(considered) end

change_state(best, 'busy')
redis.call('HSET', akey(best), 'call', sid, 'seq', redis.call('INCR', base .. 'rr'))
redis.call('HSET', ck, 'state', 'assigned', 'agent', best, 'assigned_at', ARGV[2])
redis.call('EXPIRE', ck, ttl)
redis.call('ZREM', wk, sid)
if redis.call('ZCARD', wk) == 0 then redis.call('SREM', base .. 'queues', queue) end
return {'connect', best, tostring(best_score), considered,
  tostring(redis.call('HINCRBY', ck, 'n', 1))}
