-- Agents whose wrap-up time is over become available. ARGV[4]: at most this many.
local due = redis.call('ZRANGEBYSCORE', base .. 'wrapup', '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
local freed = {}
for _, id in ipairs(due) do
  redis.call('ZREM', base .. 'wrapup', id)
  if redis.call('HGET', akey(id), 'state') == 'wrap_up' then
    change_state(id, 'available')
    table.insert(freed, id)
  end
end
return freed
