-- The result of dialing the reserved agent. ARGV[4..]: call sid, agent id,
-- outcome ('talked' | 'declined' | 'canceled'), talk seconds, history length.
local sid, agent, outcome = ARGV[4], ARGV[5], ARGV[6]
local talk, keep = tonumber(ARGV[7]), tonumber(ARGV[8])
local ck = base .. 'call:' .. sid
local cstate = redis.call('HGET', ck, 'state')
if not cstate then return {'unknown'} end
if cstate ~= 'assigned' or redis.call('HGET', ck, 'agent') ~= agent then
  return {'stale', cstate}
end
local ak = akey(agent)
-- the agent may have been changed by hand meanwhile: then leave them as they are
local mine = redis.call('HGET', ak, 'state') == 'busy' and redis.call('HGET', ak, 'call') == sid
if outcome == 'talked' then
  redis.call('HSET', ck, 'state', 'done')
  local hk = base .. 'hist:' .. redis.call('HGET', ck, 'queue')
  redis.call('LPUSH', hk, talk + policy_number('wrap', 0))
  redis.call('LTRIM', hk, 0, keep - 1)
  if mine then
    roll_day(agent)
    redis.call('HINCRBY', ak, 'calls', 1)
    redis.call('HINCRBYFLOAT', ak, 'talk', talk)
    if policy_number('wrap', 0) > 0 then change_state(agent, 'wrap_up')
    else change_state(agent, 'available') end
  end
elseif outcome == 'declined' then
  redis.call('SADD', base .. 'tried:' .. sid, agent)
  redis.call('EXPIRE', base .. 'tried:' .. sid, redis.call('TTL', ck))
  redis.call('HSET', ck, 'state', 'rerouting')
  redis.call('HDEL', ck, 'agent')
  if mine then change_state(agent, 'away') end
else
  redis.call('HSET', ck, 'state', 'done')
  if mine then change_state(agent, 'available') end
end
return {'ok', cstate}
