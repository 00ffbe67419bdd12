-- Once per day: today's calls and talk start at zero, and the pools' scores follow.
-- Cost is linear in the agents, but it runs once a day, not per decision.
if redis.call('GET', base .. 'day') == day then return 0 end
redis.call('SET', base .. 'day', day)
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', base .. 'agents')) do
  roll_day(id)
  if redis.call('HGET', akey(id), 'state') == 'available' then
    enter_pools(id)
    count = count + 1
  end
end
return count
