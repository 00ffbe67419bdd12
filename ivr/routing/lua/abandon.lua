-- A caller left the queue before talking to anyone: hung up ('abandoned') or
-- moved to a callback ('callback'). ARGV[4]: call sid, ARGV[5]: the call's new state.
local sid, final = ARGV[4], ARGV[5]
local ck = base .. 'call:' .. sid
local cstate = redis.call('HGET', ck, 'state')
if not cstate then return {'unknown'} end
local queue = redis.call('HGET', ck, 'queue')
if queue then
  local wk = base .. 'waiting:' .. queue
  redis.call('ZREM', wk, sid)
  if redis.call('ZCARD', wk) == 0 then redis.call('SREM', base .. 'queues', queue) end
end
local agent = ''
if cstate == 'assigned' then
  -- chosen while waiting but never dialed: the agent goes back to work
  agent = redis.call('HGET', ck, 'agent')
  local ak = akey(agent)
  if redis.call('HGET', ak, 'state') == 'busy' and redis.call('HGET', ak, 'call') == sid then
    change_state(agent, 'available')
  end
end
if cstate ~= 'done' then redis.call('HSET', ck, 'state', final) end
return {cstate, agent}
