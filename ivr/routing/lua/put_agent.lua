-- Register or update an agent. ARGV[4..]: id, mode (create|update|upsert),
-- expected version ('' = any), doc, pools, rosters, cbs, initial state.
local id, mode, expected = ARGV[4], ARGV[5], ARGV[6]
local k = akey(id)
local exists = redis.call('EXISTS', k) == 1
if mode == 'create' and exists then return {'exists'} end
if mode == 'update' and not exists then return {'missing'} end
if exists and expected ~= '' and redis.call('HGET', k, 'version') ~= expected then
  return {'conflict', redis.call('HGET', k, 'version')}
end
local state = ARGV[11]
if exists then
  state = redis.call('HGET', k, 'state')
  if state == 'available' then leave_pools(id) end
  if state ~= 'offline' then leave_rosters(id) end
  leave_cbs(id)
else
  redis.call('HSET', k, 'state', state, 'since', ARGV[2], 'version', 0, 'calls', 0,
    'talk', 0, 'day', day, 'seq', 0, 'cb_open', 0)
  redis.call('SADD', base .. 'agents', id)
  if state == 'wrap_up' then
    redis.call('ZADD', base .. 'wrapup', now + policy_number('wrap', 0), id)
  end
end
redis.call('HSET', k, 'doc', ARGV[7], 'pools', ARGV[8], 'rosters', ARGV[9], 'cbs', ARGV[10])
if state ~= 'offline' then enter_rosters(id) end
if state == 'available' then enter_pools(id) end
enter_cbs(id)
return {'ok', tostring(redis.call('HINCRBY', k, 'version', 1))}
