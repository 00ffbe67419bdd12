-- An admin or the agent changes state. ARGV[4..]: id, state, expected version ('' = any).
local id, new, expected = ARGV[4], ARGV[5], ARGV[6]
local k = akey(id)
if redis.call('EXISTS', k) == 0 then return {'missing'} end
if expected ~= '' and redis.call('HGET', k, 'version') ~= expected then
  return {'conflict', redis.call('HGET', k, 'version')}
end
local old = change_state(id, new)
return {'ok', old, tostring(redis.call('HGET', k, 'version'))}
