-- Remove an agent. ARGV[4..]: id, expected version ('' = any).
local id, expected = ARGV[4], ARGV[5]
local k = akey(id)
if redis.call('EXISTS', k) == 0 then return {'missing'} end
if expected ~= '' and redis.call('HGET', k, 'version') ~= expected then
  return {'conflict', redis.call('HGET', k, 'version')}
end
local state = redis.call('HGET', k, 'state')
if state == 'busy' then return {'busy'} end
if state == 'available' then leave_pools(id) end
if state ~= 'offline' then leave_rosters(id) end
leave_cbs(id)
redis.call('ZREM', base .. 'wrapup', id)
redis.call('SREM', base .. 'agents', id)
redis.call('DEL', k)
return {'ok'}
